"""Every bad file is skipped, whatever kind: dangling symbolic links, directories and pipes named `*.parquet`,
files that vanish between listing and reading. Each is named on Data health with a reason; every page keeps
serving the rest. Real files on disk, the real store; tests run as root, so a FIFO stands in for a file that
cannot be read (a permission bit would not stop root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evalboard.core.view import View
from evalboard.data.store import Store
from tests.helpers import REPO, damage_data_pages, sample, write_samples, write_transcripts

APP = str(REPO / "app.py")
PAGES = ["pages/overview.py", "pages/transcripts.py", "pages/compare.py", "pages/readiness.py", "pages/data_health.py"]
FAMILIES = ["blackmail", "leaking", "murder", "sabotage"]  # the families the committed gates.toml names


def good_dataset(root: Path) -> Path:
    rows = [
        sample(i, scenario_family=FAMILIES[i % 4], intervention=("baseline", "safe_demos")[i % 2]) for i in range(80)
    ]
    write_samples(root / "samples" / "good.parquet", rows)
    messages = [{"role": "user", "content": "hello", "tool_calls": None, "tool_call_id": None, "name": None}]
    ids = sorted(r["sample_id"] for r in rows)
    write_transcripts(root / "transcripts" / "good.parquet", [{"sample_id": i, "messages": messages} for i in ids])
    return root


def add_bad(root: Path, kind: str) -> list[str]:
    """Put one bad entry of `kind` in samples/ and transcripts/; return their paths relative to the root."""
    made = []
    for table in ("samples", "transcripts"):
        path = root / table / f"{kind}.parquet"
        if kind == "dangling":
            path.symlink_to(root / "gone" / "nothing.parquet")
        elif kind == "directory":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        made.append(f"{table}/{kind}.parquet")
    return made


KINDS = {"dangling": "symbolic link to a missing file", "directory": "a directory", "fifo": "not a regular file"}


@pytest.mark.parametrize("kind", list(KINDS))
def test_store_names_the_bad_entry_and_serves_the_rest(tmp_path, kind):
    root = good_dataset(tmp_path)
    bad = add_bad(root, kind)
    store = Store(root)
    health = store.refresh()
    rejected = {str(f.path.relative_to(root)): f.problem for f in health.rejected}
    assert set(rejected) == set(bad)
    assert all(KINDS[kind] in problem for problem in rejected.values()), rejected
    assert health.good("samples") == [root / "samples" / "good.parquet"]
    frame = store.run("rate_by_intervention", View().params())
    assert frame.get_column("n").sum() == 80
    assert store.transcript_rows("t-000003").num_rows == 1


def test_a_file_that_vanishes_after_listing_is_named_not_fatal(tmp_path):
    root = good_dataset(tmp_path)
    extra = write_samples(root / "samples" / "extra.parquet", [sample(500 + i) for i in range(5)])
    store = Store(root)
    _, entries, _ = store._scan()  # listed …
    extra.unlink()  # … then gone before it is read
    [entry] = [e for e in entries if e[1] == extra]
    status, _ = store._check(*entry[:4])
    assert status.problem and "not a readable Parquet file" in status.problem
    assert str(root) not in status.problem  # the reason names no server path


def test_a_file_that_vanishes_after_the_views_were_built_is_dropped_on_the_next_query(tmp_path):
    root = good_dataset(tmp_path)
    extra = write_samples(root / "samples" / "extra.parquet", [sample(500 + i) for i in range(5)])
    store = Store(root)
    assert store.run("rate_by_intervention", View().params()).get_column("n").sum() == 85
    extra.unlink()  # gone between the store's check and DuckDB's read: the view still lists it
    sql, _ = store._load("samples_by_source")  # reads the files (aggregates read the per-file rollups)
    assert store._query(sql, {}).get_column("samples").sum() == 80  # failed once, re-checked, retried
    assert [str(f.path.name) for f in store.health.files] == ["good.parquet", "good.parquet"]


def test_a_transcripts_file_that_vanishes_is_skipped_when_reading_one_transcript(tmp_path):
    root = good_dataset(tmp_path)
    store = Store(root)
    store.refresh()
    (root / "transcripts" / "good.parquet").unlink()
    assert store.transcript_rows("t-000003").num_rows == 0  # not there any more: no transcript, no traceback


@pytest.fixture
def broken_dataset(tmp_path, monkeypatch) -> tuple[Path, list[str]]:
    root = good_dataset(tmp_path)
    bad = [p for kind in KINDS for p in add_bad(root, kind)]
    monkeypatch.setenv("EVALBOARD_DATA", str(root))
    return root, bad


@pytest.mark.parametrize("page", PAGES)
def test_every_page_stays_up_beside_every_kind_of_bad_file(broken_dataset, page):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception
    texts = [w.value for w in at.warning]
    assert any("6 file(s) in the dataset folder could not be read" in t for t in texts), texts
    if page == "pages/transcripts.py":
        assert at.dataframe and len(at.dataframe[0].value) == 50
    if page == "pages/data_health.py":
        root, bad = broken_dataset
        errors = [e.value for e in at.error]
        for path in bad:
            assert any(e.startswith(f"` {path} `") for e in errors), (path, errors)
        shown = "\n".join(m.value for m in (*at.markdown, *at.error, *at.warning, *at.caption))
        assert str(root) not in shown  # paths are relative to the dataset folder


def test_transcript_opens_beside_bad_transcript_files(broken_dataset):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["sample"] = "t-000003"
    at.run()
    at.switch_page("pages/transcripts.py").run()
    assert not at.exception
    assert any("hello" in t.value for t in at.text)


def add_damaged(root: Path) -> list[str]:
    """A samples file and a transcripts file whose footers read but whose data pages do not (bit rot)."""
    extra = [sample(500 + i) for i in range(5)]
    write_samples(root / "samples" / "rotten.parquet", extra)
    messages = [{"role": "user", "content": "rotten", "tool_calls": None, "tool_call_id": None, "name": None}]
    rows = [{"sample_id": r["sample_id"], "messages": messages} for r in extra]
    write_transcripts(root / "transcripts" / "rotten.parquet", rows)
    for table in ("samples", "transcripts"):
        damage_data_pages(root / table / "rotten.parquet")
    return ["samples/rotten.parquet", "transcripts/rotten.parquet"]


def test_a_file_with_damaged_data_pages_is_named_and_left_out(tmp_path):
    """Its footer passes the file check; the store reads each file version's data pages once when it opens the folder
    (`data_checks.DataChecks`), so both damaged files are named on Data health at once, before any query meets them,
    and every answer leaves them out."""
    root = good_dataset(tmp_path)
    add_damaged(root)
    store = Store(root)
    rejected = {str(f.path.relative_to(root)): f.problem for f in store.health.rejected}
    assert sorted(rejected) == ["samples/rotten.parquet", "transcripts/rotten.parquet"]
    assert all(p.startswith("damaged data: the file opens but its contents cannot be read") for p in rejected.values())
    assert store.run("rate_by_intervention", View().params()).get_column("n").sum() == 80
    frame = store._query("SELECT count(*) AS n, sum(len(messages)) AS m FROM transcripts", {})
    assert frame.row(0) == (80, 80)
    # a new process reads the saved result instead of the files (DATA/.index/data-checks.json)
    assert {str(f.path.relative_to(root)) for f in Store(root).health.rejected} == set(rejected)


def test_damage_after_the_check_is_still_found_by_the_query_that_meets_it(tmp_path):
    """The same mtime and size after the check (bit rot in place): the query that meets it finds the file, leaves it
    out and answers; the saved result then says so for later processes."""
    root = good_dataset(tmp_path)
    extra = root / "samples" / "late.parquet"
    write_samples(extra, [sample(900 + i) for i in range(5)])
    store = Store(root)
    assert not store.health.rejected
    stat = extra.stat()
    damage_data_pages(extra, 11)  # `harmful`, which the query reads
    os.utime(extra, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fresh = Store(root, rollups=False)  # reads the saved "good" result: the damage is met by the query
    assert fresh.run("rate_by_intervention", View().params()).get_column("n").sum() == 80
    assert [f.path for f in fresh.health.rejected] == [extra]
    assert [f.path for f in Store(root).health.rejected] == [extra]


def test_every_page_stays_up_beside_a_file_with_damaged_data_pages(tmp_path, monkeypatch):
    root = good_dataset(tmp_path)
    bad = add_damaged(root)
    monkeypatch.setenv("EVALBOARD_DATA", str(root))
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        if page != PAGES[0]:
            at.switch_page(page).run()
        assert not at.exception, page
        assert any("could not be read and are left out" in w.value for w in at.warning), page
    errors = [e.value for e in at.error]  # the last page is Data health
    assert any(e.startswith(f"` {bad[0]} `") and "damaged data" in e for e in errors), errors
