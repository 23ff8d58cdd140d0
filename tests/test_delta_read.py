"""The store over Delta tables, in a local folder and on a real S3 API (moto on 127.0.0.1): the same numbers as the
plain demo on every page and in the CLI, a new version seen by another store, pinned versions (as_of), and storage
faults said in one line (docs/ARCHITECTURE.md, "Delta tables")."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from evalboard.commands.repair import main as repair_main
from evalboard.core.exit_codes import EXIT_BAD_INPUT, EXIT_STORAGE
from evalboard.core.paths import dataset_location as paths_location
from evalboard.core.schema import SAMPLES, TABLES
from evalboard.data import reviews, watch
from evalboard.data.mirror import MIRROR_DIR
from evalboard.data.store import Store
from tests.harness import app_test, free_port, opened
from tests.helpers import DEMO, REPO, sample
from tests.ingest.util import counts, ingest
from tests.s3server import aws_environment
from tests.test_delta_repair import file_rows, lines

_BUCKETS = itertools.count()
PAGES = (None, "readiness", "transcripts", "compare", "agreement", "drivers")  # None: the Overview
SNAPSHOT = "atlas-2026-11"
VERSION_CAPTION = "Judged on the data as of version"  # Readiness, over Delta tables


def writing(target: str) -> dict[str, str] | None:
    """The test's own writes to the S3 server over http://; the code under test derives this from the endpoint."""
    return {"AWS_ALLOW_HTTP": "true"} if target.startswith("s3://") else None


def delta_copy(plain: Path, target: str) -> str:
    """Each table of the plain dataset `plain` written as one Delta table under `target` (a folder or s3://…)."""
    for table, schema in TABLES.items():
        files = sorted((plain / table).glob("*.parquet"))
        if files:
            data = pa.concat_tables([pq.read_table(f, schema=schema) for f in files])
            write_deltalake(f"{target.rstrip('/')}/{table}", data, storage_options=writing(target))
    return target


@pytest.fixture(scope="module")
def local_delta(tmp_path_factory) -> Path:
    """The demo as Delta tables in a local folder named like the demo's (pages name the dataset by its folder)."""
    root = tmp_path_factory.mktemp("delta") / "demo"
    root.mkdir()
    delta_copy(DEMO, str(root))
    shutil.copy(DEMO / "dataset.toml", root / "dataset.toml")
    return root


@contextlib.contextmanager
def moto_process(**env: str) -> Iterator[str]:
    """moto's S3 server in its own process on 127.0.0.1 (`env`: e.g. checking credentials); its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server in its own process: pages run in this process, and a server thread here would wait for the
    interpreter lock a delta-rs call holds (tests/s3server.py's threaded server, in the same process)."""
    with moto_process() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://<bucket>`: a new empty bucket, the standard AWS environment pointing at the server."""
    import boto3

    for name, value in aws_environment(s3_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ALLOW_HTTP")  # the store derives it from the http:// endpoint
    bucket = f"evalboard-read-{next(_BUCKETS)}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return f"s3://{bucket}"


@pytest.fixture
def s3_demo(s3_bucket: str) -> str:
    """The demo as Delta tables on the test S3 server, with its dataset.toml."""
    import boto3

    uri = delta_copy(DEMO, f"{s3_bucket}/demo")
    boto3.client("s3").upload_file(str(DEMO / "dataset.toml"), s3_bucket.removeprefix("s3://"), "demo/dataset.toml")
    return uri


def content(at) -> list:
    """What a page shows: its texts, metrics, tables and charts (the numbers a reader sees)."""
    assert not at.exception, at.exception
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "metric"):
        out += [(kind, str(getattr(e, "value", "")), str(getattr(e, "label", ""))) for e in getattr(at, kind)]
    out = [o for o in out if not o[1].startswith(VERSION_CAPTION)]  # only a versioned dataset has one
    out += [("table", d.value.to_csv()) for d in at.dataframe]
    return out + [("chart", c.proto.spec) for c in at.get("plotly_chart")]


def page(data, name: str | None, monkeypatch, query: dict | None = None):
    return app_test(query, page=name, data=data, monkeypatch=monkeypatch, timeout=120)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_over_local_delta_tables_shows_the_plain_demos_numbers(name, local_delta, monkeypatch):
    plain = content(page(DEMO, name, monkeypatch))
    assert content(page(local_delta, name, monkeypatch)) == plain


def test_data_health_over_delta_tables_counts_what_the_plain_demo_does(local_delta, monkeypatch):
    plain, delta = (page(d, "data_health", monkeypatch) for d in (DEMO, local_delta))
    assert not delta.exception
    assert [(m.label, m.value) for m in delta.metric] == [(m.label, m.value) for m in plain.metric]


def readiness(data: str | Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "evalboard", "readiness", SNAPSHOT, "--format", "json", "--data", str(data), *extra]
    run_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=run_env, cwd=REPO)


def verdict(proc: subprocess.CompletedProcess) -> dict:
    out = json.loads(proc.stdout)
    out.pop("dataset", None)
    return out


def test_the_cli_judges_local_and_s3_delta_tables_as_the_plain_demo(local_delta, s3_demo):
    plain = readiness(DEMO)
    for data in (local_delta, s3_demo):
        proc = readiness(data)
        assert proc.returncode == plain.returncode, proc.stderr
        assert verdict(proc) == verdict(plain)
        assert "as of version 0" in proc.stderr


def test_the_pages_over_s3_show_the_plain_demos_numbers(s3_demo, monkeypatch):
    for name in (None, "readiness"):
        assert content(page(s3_demo, name, monkeypatch)) == content(page(DEMO, name, monkeypatch))


def test_a_transcript_opens_from_s3(s3_demo):
    plain, remote = Store(DEMO), Store(s3_demo)
    sample_id = pq.read_table(DEMO / "transcripts", columns=["sample_id"]).column("sample_id")[7].as_py()
    assert remote.transcript_rows(sample_id).num_rows == 1
    assert remote.transcript_rows(sample_id).equals(plain.transcript_rows(sample_id))


def new_samples(n: int, snapshot: str = "snap-new") -> pa.Table:
    return pa.Table.from_pylist([sample(900_000 + i, snapshot=snapshot) for i in range(n)], schema=SAMPLES)


def samples_count(store: Store) -> int:
    return store.run("dataset_totals").item(0, "samples")


def test_an_append_through_one_store_is_seen_by_another_and_nothing_is_recomputed_meanwhile(s3_demo):
    a, b = Store(s3_demo), Store(s3_demo)
    before = samples_count(b)
    first = b.run("dataset_totals")
    assert b.run("dataset_totals") is first  # the version did not change: the cached frame, not a new query
    write_deltalake(
        f"{s3_demo}/samples", new_samples(3), mode="append", storage_options=writing(s3_demo)
    )  # an import through another process
    assert samples_count(a) == before + 3
    assert samples_count(b) == before + 3  # the next refresh (a page load) sees the new version
    assert b.health.delta and {v.table: v.version for v in b.health.delta}["samples"] == 1


def test_a_repeated_sample_id_in_a_delta_table_counts_once(local_delta, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(local_delta, root)
    before = samples_count(Store(root))
    again = pq.read_table(DEMO / "samples").slice(0, 5).cast(SAMPLES)
    write_deltalake(str(root / "samples"), again, mode="append")
    store = Store(root)
    assert samples_count(store) == before
    assert store.health.duplicates[0].ids == 5


def test_as_of_judges_the_data_as_it_was(s3_demo):
    plain = readiness(s3_demo)
    committed = datetime.now(UTC)
    write_deltalake(f"{s3_demo}/samples", new_samples(50, SNAPSHOT), mode="append", storage_options=writing(s3_demo))
    assert samples_count(Store(s3_demo, as_of=0)) == samples_count(Store(s3_demo)) - 50
    pinned = readiness(s3_demo, "--as-of", "0")
    assert pinned.returncode == plain.returncode and verdict(pinned) == verdict(plain)
    assert "as of version 0" in pinned.stderr and "1 import since" in pinned.stderr
    at_time = readiness(s3_demo, "--as-of", committed.strftime("%Y-%m-%dT%H:%M:%S.%f"))
    assert at_time.returncode == plain.returncode, at_time.stderr
    assert verdict(at_time) == verdict(plain), at_time.stderr
    unknown = readiness(s3_demo, "--as-of", "7")
    assert unknown.returncode == EXIT_BAD_INPUT and "has no version 7" in unknown.stderr


def test_as_of_on_a_plain_dataset_says_it_has_no_versions():
    proc = readiness(DEMO, "--as-of", "3")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "plain Parquet files, which have no versions" in proc.stderr


def test_storage_faults_are_one_line_with_their_exit_code(s3_demo):
    missing = readiness(s3_demo.replace("evalboard-read", "no-such-bucket"))
    assert missing.returncode == EXIT_STORAGE and "no such bucket" in missing.stderr
    down = readiness(s3_demo, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert down.returncode == EXIT_STORAGE and "cannot reach the storage endpoint 127.0.0.1:9" in down.stderr
    for proc in (missing, down):
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "evalboard-test-secret" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_page_over_unreachable_storage_shows_a_notice(s3_demo, monkeypatch):
    at = page(s3_demo, None, monkeypatch)
    assert samples_count(Store(s3_demo)) > 0
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    down = page(s3_demo.replace("/demo", "/elsewhere"), None, monkeypatch)
    assert not down.exception and not at.exception
    notices = [w.value for w in down.warning if w.value.startswith("Storage could not be read just now")]
    assert notices and "127.0.0.1:9" in notices[0], [w.value for w in down.warning]  # the endpoint named, no traceback


def test_the_readiness_page_pins_the_version_it_judged_and_says_so(local_delta, tmp_path, monkeypatch):
    root = tmp_path / "demo"
    shutil.copytree(local_delta, root)
    before = content(page(root, "readiness", monkeypatch))
    write_deltalake(str(root / "samples"), new_samples(40, SNAPSHOT), mode="append")
    pinned = page(root, "readiness", monkeypatch, {"as_of": "0"})
    captions = [c.value for c in pinned.caption]
    assert any("as of version 0" in c and "1 import since" in c for c in captions), captions
    assert [t for t in content(pinned) if t[0] == "table"] == [t for t in before if t[0] == "table"]
    newest = page(root, "readiness", monkeypatch)
    assert any("as of version 1" in c.value and "the newest" in c.value for c in newest.caption)
    opened(newest, "readiness_summary")
    link = next(c.value for c in newest.code if "readiness?" in c.value)
    assert "as_of=1" in link
    release_note = next(c.value for c in newest.code if c.value.startswith("### Release readiness"))
    assert "**Data:** as of version 1" in release_note


def test_as_of_in_the_url_of_a_plain_dataset_is_ignored_with_a_reason(monkeypatch):
    at = page(DEMO, "readiness", monkeypatch, {"as_of": "3"})
    assert not at.exception
    assert any("as_of=3" in w.value and "no versions" in w.value for w in at.warning)


class _Exec(Exception):
    pass


def test_serve_hands_an_s3_dataset_to_the_app_unchanged(monkeypatch):
    from evalboard.commands import serve

    seen: dict = {}

    def execve(path, argv, env):
        seen.update(env)
        raise _Exec

    monkeypatch.setattr(serve.os, "execve", execve)
    with pytest.raises(_Exec):
        serve.serve(paths_location("s3://bucket/evals"), port=8599)
    assert seen["EVALBOARD_DATA"] == "s3://bucket/evals"


def test_a_new_version_rolls_up_only_its_new_files(local_delta, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(local_delta, root, ignore=shutil.ignore_patterns(".index"))
    store = Store(root)
    before = samples_count(store)
    first = sorted((root / ".index" / "rollups").glob("rollup-*.parquet"))
    assert len(first) == 1
    stamp = first[0].stat().st_mtime_ns
    write_deltalake(str(root / "samples"), new_samples(7), mode="append")
    assert samples_count(store) == before + 7
    after = sorted((root / ".index" / "rollups").glob("rollup-*.parquet"))
    assert len(after) == 2 and first[0] in after and first[0].stat().st_mtime_ns == stamp
    scan = Store(root, rollups=False)
    for name in ("dataset_totals", "rate_by_intervention"):
        params = {
            "source": "primary",
            "snapshots": [],
            "interventions": [],
            "stages": [],
            "families": [],
            "graders": [],
        }
        assert store.run(name, params).equals(scan.run(name, params))


def test_refused_credentials_are_one_line_with_their_exit_code():
    """A server that checks keys (moto with IAM checks on) refuses unknown ones: exit 6, said plainly."""
    with moto_process(INITIAL_NO_AUTH_ACTION_COUNT="0") as endpoint:
        env = {**aws_environment(endpoint), "AWS_ACCESS_KEY_ID": "unknown", "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
        proc = readiness("s3://evalboard-read-denied/demo", env=env)
    assert proc.returncode == EXIT_STORAGE
    assert proc.stderr.strip().splitlines() == [
        f"evalboard readiness: error: s3://evalboard-read-denied/demo: the storage endpoint {endpoint.split('//')[1]} "
        "refused the credentials (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, and that they may "
        f"use this bucket) (exit {EXIT_STORAGE})"
    ]


# -- a damaged data file costs only its own rows (docs/ARCHITECTURE.md, "Delta tables", "Damaged files") --


def two_commits(target: str) -> tuple[str, int]:
    """Append a second samples file (7 rows) to the Delta table at `target`; its name inside the table, and 7."""
    before = set(DeltaTable(f"{target}/samples", storage_options=writing(target)).file_uris())
    write_deltalake(f"{target}/samples", new_samples(7), mode="append", storage_options=writing(target))
    after = set(DeltaTable(f"{target}/samples", storage_options=writing(target)).file_uris())
    [added] = after - before
    return added.rsplit("/", 1)[-1], 7


@pytest.fixture
def local_two(local_delta: Path, tmp_path: Path) -> tuple[Path, str, int, int]:
    """A local Delta copy of the demo with a second samples commit: (root, the new file's name, its rows, the
    demo's samples)."""
    root = tmp_path / "ds"
    shutil.copytree(local_delta, root, ignore=shutil.ignore_patterns(".index"))
    total = samples_count(Store(root))
    name, rows = two_commits(str(root))
    return root, name, rows, total


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "missing":
        path.unlink()
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # the footer reads, a data page does not: garble the bytes after the magic number
        path.write_bytes(data[:4] + bytes(b ^ 0x5A for b in data[4:200]) + data[200:])


@pytest.mark.parametrize("how", ["missing", "truncated", "garbled"])
def test_a_damaged_local_data_file_costs_only_its_rows(local_two, how):
    root, name, rows, total = local_two
    assert samples_count(Store(root)) == total + rows
    damage(root / "samples" / name, how)
    store = Store(root)
    assert samples_count(store) == total  # the rest is served
    [left] = store.health.left_out
    assert left.file == f"samples/{name}" and left.table == "samples" and left.problem


def test_a_file_damaged_after_it_was_read_is_left_out_when_a_query_meets_it(local_two):
    root, name, rows, total = local_two
    store = Store(root, rollups=False)  # every count scans the files
    assert samples_count(store) == total + rows
    damage(root / "samples" / name, "garbled")
    store._cache.clear()
    assert samples_count(store) == total
    assert [lo.file for lo in store.health.left_out] == [f"samples/{name}"]


def test_a_damaged_object_on_s3_costs_only_its_rows_and_is_named_by_its_place_there(s3_demo):
    name, rows = two_commits(s3_demo)
    bucket, prefix = s3_demo.removeprefix("s3://").split("/", 1)
    key = f"{prefix}/samples/{name}"
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body[: len(body) // 2])
    store = Store(s3_demo)
    total = samples_count(store)
    [left] = store.health.left_out
    assert left.file == f"samples/{name}" and left.table == "samples"
    assert total == samples_count(Store(DEMO))
    copies = store.index_root / MIRROR_DIR / "samples"
    named = DeltaTable(f"{s3_demo}/samples", storage_options=writing(s3_demo)).file_uris()
    assert {f.rsplit("/", 1)[-1] for f in named} <= {p.name for p in copies.iterdir()}  # this replica's copies


# -- page loads over S3 trust the version probe (evalboard/data/watch.py; README: "Staleness is bounded") --


def until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.1)


def test_a_page_load_skips_its_check_after_a_probe_and_sees_a_new_version_within_the_bound(s3_demo, monkeypatch):
    store = Store(s3_demo)
    store.refresh(new_run=True)  # the first page load checks storage itself, and starts the probes
    until(lambda: store._watch.fresh(time.monotonic()), 10)
    checks = []
    real = store._delta.check
    monkeypatch.setattr(store._delta, "check", lambda: checks.append(1) or real())
    store.refresh(new_run=True)
    assert checks == []  # a probe moments ago found no new version: this page load asked storage nothing
    before = samples_count(store)
    write_deltalake(f"{s3_demo}/samples", new_samples(3), mode="append", storage_options=writing(s3_demo))

    def page_load_sees_it() -> bool:
        store.refresh(new_run=True)
        return samples_count(store) == before + 3

    until(page_load_sees_it, watch.FRESH + 10)  # another process's import: seen within the bound
    until(lambda: store._watch.fresh(time.monotonic()), 10)
    checks.clear()
    sample_id = pq.read_table(DEMO / "samples", columns=["sample_id"]).column(0)[0].as_py()
    reviews.write(s3_demo, reviews.Review(sample_id, "ann", "harmful"))  # a review saved through this replica
    store.refresh(new_run=True)
    assert checks == [1]  # its own write: the very next page load asks storage, and shows it
    assert "ann" in reviews.history(store, sample_id)["grader"].to_list()


def test_an_ingest_over_a_truncated_object_completes_and_repair_cleans_the_table_on_s3(s3_bucket, tmp_path):
    """The write side on S3 (tests/test_delta_repair.py has the local cases): the ingest names the object it could not
    read by its place there; once the user deletes it, `evalboard repair` removes it from the log."""
    data = f"{s3_bucket}/ds"
    a = lines(tmp_path / "a.jsonl", range(20))
    assert ingest(a, "--out", data, "-q").code == 0
    assert ingest(lines(tmp_path / "c.jsonl", range(100, 105)), "--out", data, "-q").code == 0
    [name] = [n for n, rows in file_rows(f"{data}/samples", writing(data)).items() if rows == 20]
    bucket, key = s3_bucket.removeprefix("s3://"), f"ds/samples/{name}"
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body[: len(body) // 2])
    result = ingest(lines(tmp_path / "b.jsonl", range(15, 30)), "--out", data)
    assert result.code == 0, result
    assert counts(result.out) == {"records": 15, "imported": 15, "present": 0, "quarantined": 0}
    assert f"  {data}/samples/{name} — 20 rows by its log: " in result.out
    s3.delete_object(Bucket=bucket, Key=key)
    out, err = io.StringIO(), io.StringIO()
    assert repair_main([data], stdout=out, stderr=err) == 0, err.getvalue()
    assert f"samples: removed 1 missing data file from the log (version 2 → 3):\n  {data}/samples/{name}" in (
        out.getvalue()
    )
    store = Store(data)
    assert store.health.left_out == () and samples_count(store) == 5 + 15
    assert counts(ingest(a, "--out", data, "-q").out)["imported"] == 15
    assert samples_count(Store(data)) == 20 + 5 + 10
