"""The search index of a remote dataset (s3://, Delta tables; evalboard/data/search.py): kept on this replica's disk,
keyed by each data file's URI, size and log time, it finds what the same data in a local folder finds, indexes only
a new commit's files, is reused by a second store, and leaves the scan in charge when storage fails. moto runs in its
own process (tests/test_delta_read.py: the store's reads would stall a server in this one)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from evalboard.core import location
from evalboard.core.location import parse, storage_options
from evalboard.data import delta_write, reviews, search
from evalboard.data.delta import cache_dir
from evalboard.data.store import Store
from tests.harness import app_test
from tests.test_delta_read import s3_bucket, s3_server  # noqa: F401  (moto in its own process, a bucket per test)
from tests.test_search import TEXTS, found, ids, write_part, write_verdicts

NEW = {10: ("Plan: exfiltrate the weights tonight.", None, "Harmful: exfiltration.")}
SEARCHES = ("kyle's affair, then", "KYLE'S AFFAIR", "override code is 44", "board@corp", "no leverage", "grüße an kyle",
            "second grader saw", "veiled threat", "zzz-not-there")  # fmt: skip


def add_part(local: Path, uri: str, name: str, texts: dict) -> None:
    """The same rows as a plain file in the local folder and as one commit per table on S3."""
    write_part(local, name, texts)
    for table in ("samples", "transcripts"):
        delta_write.append(parse(uri), table, pq.read_table(local / table / f"{name}.parquet"))


def indexed(index: search.SearchIndex) -> list[tuple]:
    """The files the index holds: (path, source, mtime, size, first_row, last_row)."""
    con = sqlite3.connect(index.path)
    try:
        return sorted(con.execute("SELECT * FROM files").fetchall())
    finally:
        con.close()


@pytest.fixture
def datasets(s3_bucket, tmp_path, monkeypatch) -> tuple[Path, str]:  # noqa: F811
    """A local folder and an S3 Delta dataset holding the same texts (transcripts, explanations of two verdict
    sources, a review note); this replica's cache in the test's own folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    local, uri = tmp_path / "local", f"{s3_bucket}/evals"
    add_part(local, uri, "a", TEXTS)
    write_verdicts(local, [(2, "inspect:judge_b", "The second grader saw coercion.")])
    delta_write.append(parse(uri), "verdicts", pq.read_table(local / "verdicts" / "v.parquet"))
    for dataset in (local, uri):
        reviews.write(dataset, reviews.Review(sample_id="t-000004", reviewer="ana", verdict="harmful",
                                              note="Veiled threat in the last email."))  # fmt: skip
    return local, uri


def test_the_index_of_an_s3_dataset_finds_what_the_same_local_folder_does(datasets):
    local, uri = datasets
    store = Store(uri)
    index = search.index_for(store)
    assert index.ensure(background=False), index.problem
    assert index.path.is_relative_to(cache_dir(uri)) and index.path.is_file()  # this replica's disk
    files = indexed(index)
    assert {f[1] for f in files} == {"samples", "transcripts", "verdicts", "reviews"}
    assert all(f[0].startswith(f"{uri}/") for f in files)
    plain = Store(local)
    for text in SEARCHES:
        store.refresh(new_run=True)  # each search a page load: one check of storage, as app.py makes
        assert found(store, text) == found(plain, text), text
    assert found(store, "override code") == ids(1) and index.problem is None  # the index answered, not the scan
    assert not list(index.path.parent.glob(f"{search.FETCHED}*"))  # the fetched copies are gone


def indexed_then_new_part(local, uri):
    """A store over `uri` with its index built, then a new part committed: (store, index, what was indexed)."""
    store = Store(uri)
    index = search.index_for(store)
    assert index.ensure(background=False)
    before = indexed(index)
    add_part(local, uri, "b", NEW)
    return store, index, before


def test_a_new_commit_indexes_only_its_files_a_compaction_drops_the_old_a_second_store_reuses_the_index(datasets):
    local, uri = datasets
    store, index, before = indexed_then_new_part(local, uri)
    assert found(store, "exfiltrate the weights") == ids(10) == found(Store(local), "exfiltrate the weights")
    after = indexed(index)
    assert set(before) <= set(after) and len(after) == len(before) + 2  # the old files kept, as they were
    again = search.SearchIndex(Store(uri))  # another store over the same URI (a restart)
    assert again.path == index.path and again.ensure(background=False)
    assert indexed(again) == after  # nothing indexed anew
    assert again.search("EXFILTRATE THE").ids.column("sample_id").to_pylist() == ["t-000010"]
    DeltaTable(f"{uri}/transcripts", storage_options=storage_options()).optimize.compact()
    assert index.ensure(background=False)
    transcripts = [f[0] for f in indexed(index) if f[1] == "transcripts"]
    assert transcripts == [index._uri(p) for p, *_ in store.good_files("transcripts")]
    assert len(transcripts) == 1  # the two files replaced by one
    assert found(store, "exfiltrate the weights") == ids(10) and found(store, "kyle's affair") == ids(0)


def test_a_storage_failure_keeps_the_index_as_it_was_until_storage_is_back(datasets, monkeypatch):
    local, uri = datasets
    store, index, before = indexed_then_new_part(local, uri)
    store.refresh(new_run=True)  # a page load sees the new version; then one of its files cannot be fetched
    known = {f[0] for f in before}
    [new] = [u for u in (index._uri(p) for p, *_ in store.good_files("transcripts")) if u not in known]
    bucket, key = new.removeprefix("s3://").split("/", 1)
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)
    assert index.search("exfiltrate the weights") is None  # the page scans
    assert index.problem.startswith(f"index update failed: {new}: storage error"), index.problem
    assert "\n" not in index.problem and "evalboard-test-secret" not in index.problem
    assert indexed(index) == before
    assert not list(index.path.parent.glob(f"{search.FETCHED}*"))
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setitem(location.RETRIES, "max_retries", "0")  # delta-rs says so at once
    restarted = search.SearchIndex(Store(uri))  # a restart while storage is down: the store has read no files
    assert not restarted.ensure(background=False)
    assert "cannot reach the storage endpoint 127.0.0.1:9" in restarted.problem, restarted.problem
    assert indexed(restarted) == before  # not emptied: kept for when storage is back
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    assert restarted.ensure(background=False) and len(indexed(restarted)) == len(before) + 2
    assert restarted.search("exfiltrate the weights").ids.column("sample_id").to_pylist() == ["t-000010"]


def test_a_background_build_indexes_an_s3_dataset(datasets, monkeypatch):
    _, uri = datasets
    monkeypatch.setattr(search, "INLINE_BYTES", 0)  # every file counts as large: `python -m evalboard.data.search URI`
    store = Store(uri)
    index = search.index_for(store)
    assert index.search("override code") is None  # not indexed yet: the page scans
    assert index._builder is not None and index._builder.args[-1] == uri
    index.wait(timeout=120)
    assert index._builder.returncode == 0
    hits = index.search("override code")
    assert hits is not None and hits.ids.column("sample_id").to_pylist() == ["t-000001"]


def test_the_transcripts_page_over_s3_lists_what_the_index_finds(datasets, monkeypatch):
    _, uri = datasets
    at = app_test({"q": "OVERRIDE CODE"}, page="transcripts", data=uri, monkeypatch=monkeypatch, timeout=60)
    assert not at.exception and not at.warning
    assert at.dataframe[0].value["sample_id"].tolist() == ["t-000001"]
    assert indexed(search.SearchIndex(Store(uri)))  # the page's search built the index (a small one: in the request)
