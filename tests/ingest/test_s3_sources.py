"""`evalboard ingest s3://bucket/prefix/`: sources read from a real S3 API (moto on 127.0.0.1, tests/s3server.py),
with the same counts and rows as a local copy of the same files, logs still being written skipped and named, and
faults said in one line with a documented exit code."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from evalboard.core.exit_codes import EXIT_STORAGE
from evalboard.ingest import remote
from tests.ingest.test_agentic_misalignment import build_results
from tests.ingest.util import assert_adds_up, counts, ingest, ingest_log, quarantine, run, samples
from tests.s3server import aws_environment

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed (pip install 'evalboard[inspect]')")

from tests.ingest.inspect_logs import harmfulness_scorer, make_log  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inspect-ai's own retry config

SECRET = "evalboard-test-secret"  # tests/s3server.py's key: no output may carry it


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of mixed sources: Inspect .eval and .json logs, an agentic-misalignment results tree, a JSONL file
    with a bad line and a record without a verdict, a gzip-compressed JSONL file and a file that is not eval data."""
    root = tmp_path_factory.mktemp("sources")
    logs = root / "inspect"
    basic = [
        {"id": "s1", "metadata": {"verdict": "C", "scenario": "blackmail"}},
        {"id": "s2", "metadata": {"verdict": "I", "scenario": "blackmail"}},
        {"id": "s3", "metadata": {"verdict": "I", "boom": True}},
    ]
    dicts = [
        {"id": 1, "metadata": {"verdict": {"harmful": 1.0, "classifier_verdict": 1.0}, "scenario": "leaking"}},
        {"id": 2, "metadata": {"verdict": {"harmful": None, "classifier_verdict": None}, "scenario": "leaking"}},
    ]
    make_log(logs, basic, metadata={"intervention": "safe_demos"}, tools=True)
    make_log(logs, basic[:2], log_format="json")
    make_log(logs, dicts, scorer_fn=harmfulness_scorer())
    build_results(root / "am")
    lines = [
        {"sample_id": "j1", "snapshot": "model-a", "harmful": True, "intervention": "baseline"},
        {"sample_id": "j2", "snapshot": "model-a"},
        {"sample_id": "j3", "snapshot": "model-b", "harmful": False},
    ]
    (root / "jsonl").mkdir()
    (root / "jsonl" / "runs.jsonl").write_text("\n".join([*map(json.dumps, lines), "{not json"]) + "\n")
    gz = json.dumps({"sample_id": "g1", "snapshot": "model-b", "harmful": True}) + "\n"
    (root / "jsonl" / "more.jsonl.gz").write_bytes(gzip.compress(gz.encode()))  # fetched as stored, not inflated
    (root / "README.txt").write_text("not eval data")
    return root


def _line(text: str, start: str) -> str:
    [line] = [x for x in text.splitlines() if x.startswith(start)]
    return line


def upload(folder: Path, bucket_uri: str, prefix: str) -> None:
    """Every file under `folder` as an object `prefix/<relative path>`."""
    client, bucket = boto3.client("s3"), bucket_uri.removeprefix("s3://")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder the fetched copies go to, watched by the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def test_same_counts_and_rows_as_a_local_copy(tree: Path, s3_bucket: str, tmp_path: Path, private_tmp: Path) -> None:
    upload(tree, s3_bucket, "team/logs")
    local = ingest(tree, "--out", tmp_path / "local")
    remote_ = ingest(f"{s3_bucket}/team/logs/", "--out", tmp_path / "remote")
    assert local.code == remote_.code == 0, remote_.err
    assert counts(remote_.out) == counts(local.out)
    assert counts(local.out)["imported"] > 10 and counts(local.out)["quarantined"] > 5  # all four kinds were read
    assert "agentic-misalignment 1" in remote_.out and "inspect 3" in remote_.out and "jsonl 2" in remote_.out
    assert _line(remote_.out, "files passed over") == _line(local.out, "files passed over")
    assert ".txt ×1" in _line(remote_.out, "files passed over")

    def rows(out: Path, root: str) -> list[dict]:
        return [{**r, "source": r["source"].replace(root, "<root>", 1)} for r in samples(out)]

    assert rows(tmp_path / "remote", f"{s3_bucket}/team/logs") == rows(tmp_path / "local", str(tree))
    assert all(r["source"].startswith(f"{s3_bucket}/team/logs/") for r in samples(tmp_path / "remote"))
    lines = quarantine(tmp_path / "remote")
    assert len(lines) == len(quarantine(tmp_path / "local"))
    assert all(q["source"].startswith(f"{s3_bucket}/team/logs/") for q in lines)
    assert all(e["source"].startswith(f"{s3_bucket}/team/logs/") for e in ingest_log(tmp_path / "remote"))
    assert f"{s3_bucket}/team/logs/jsonl/runs.jsonl — 2 records" in remote_.out
    assert_adds_up(tmp_path / "remote")
    written = "".join(p.read_text(errors="replace") for p in (tmp_path / "remote").rglob("*") if p.suffix == ".jsonl")
    assert str(private_tmp) not in written + remote_.out + remote_.err  # no copy's path, anywhere
    assert list(private_tmp.iterdir()) == []  # the copies are gone

    again = ingest(f"{s3_bucket}/team/logs", "--out", tmp_path / "remote")  # no trailing '/': the same prefix
    assert again.code == 0 and counts(again.out)["present"] == counts(remote_.out)["imported"]


def test_a_single_object_and_a_local_source_together(tree: Path, s3_bucket: str, tmp_path: Path) -> None:
    upload(tree / "jsonl", s3_bucket, "one")
    result = ingest(f"{s3_bucket}/one/runs.jsonl", tree / "am", "--out", tmp_path / "out")
    assert result.code == 0, result.err
    sources = {r["source"] for r in samples(tmp_path / "out")}
    assert f"{s3_bucket}/one/runs.jsonl" in sources
    assert any(s.startswith(str(tree / "am")) for s in sources)


def _unfinished(log: Path, target: Path, header: str | None) -> Path:
    """`log` as Inspect leaves it while its eval runs: without `header.json` (`header=None`: Inspect writes it when
    the eval ends), or with its status rewritten to `header`; the journal's start record and the samples kept."""
    with zipfile.ZipFile(log) as src, zipfile.ZipFile(target, "w") as dst:
        assert "_journal/start.json" in src.namelist()
        for info in src.infolist():
            if info.filename != "header.json":
                dst.writestr(info, src.read(info))
            elif header is not None:
                dst.writestr(info, json.dumps({**json.loads(src.read(info)), "status": header}))
    return target


@pytest.fixture(scope="module")
def running(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Logs still being written, in each form Inspect leaves one: an .eval with only its journal, an .eval whose
    header says "started", a .json log whose status is "started"; and a finished .eval beside them."""
    folder = tmp_path_factory.mktemp("running")
    evals = sorted(
        (tree / "inspect").glob("*.eval"), key=lambda p: "s1_epoch_1" not in str(zipfile.ZipFile(p).namelist())
    )
    [json_log] = (tree / "inspect").glob("*.json")
    started = {**json.loads(json_log.read_text()), "status": "started"}
    (folder / "c-running.json").write_text(json.dumps(started))
    shutil.copy(evals[1], folder / "d-finished.eval")
    return {
        "a-running.eval": _unfinished(evals[0], folder / "a-running.eval", None),
        "b-running.eval": _unfinished(evals[0], folder / "b-running.eval", "started"),
        "c-running.json": folder / "c-running.json",
        "d-finished.eval": folder / "d-finished.eval",
    }


def test_the_status_is_inspects_own(running: dict[str, Path]) -> None:
    from inspect_ai.log import read_eval_log

    for name, path in running.items():
        assert remote.inspect_status(path) == read_eval_log(str(path), header_only=True).status, name
        assert (remote.inspect_status(path) == "started") == ("running" in name)


def test_a_log_still_being_written_is_skipped_and_named(
    running: dict[str, Path], tree: Path, s3_bucket: str, tmp_path: Path
) -> None:
    upload(running["a-running.eval"].parent, s3_bucket, "logs")
    upload(tree / "jsonl", s3_bucket, "logs")

    result = ingest(f"{s3_bucket}/logs/", "--out", tmp_path / "out")
    assert result.code == 0  # the finished log and the JSONL files were read
    for name in ("a-running.eval", "b-running.eval", "c-running.json"):
        assert f"{s3_bucket}/logs/{name} — skipped: an Inspect log still being written (status 'started')" in result.out
    assert "d-finished.eval" not in result.out.split("records:")[1]
    assert {e["source"] for e in ingest_log(tmp_path / "out") if e["format"] == "inspect"} == {
        f"{s3_bucket}/logs/d-finished.eval"
    }

    # A real process (Inspect not yet imported when the status is read; this header is zstd-compressed, as Inspect
    # writes it). Nothing read: exit 1, as for any ingest.
    alone = run(f"{s3_bucket}/logs/b-running.eval", "--out", tmp_path / "alone")
    assert alone.code == 1 and "b-running.eval — skipped: an Inspect log still being written" in alone.out
    local = ingest(running["a-running.eval"], "--out", tmp_path / "local")  # a local copy imports as it stands
    assert local.code == 0 and counts(local.out)["imported"] == 2


def test_a_listing_past_one_page(s3_bucket: str) -> None:
    """S3 lists at most 1,000 keys a request: all 1,003 objects under the prefix are listed (the listing `fetch`
    fetches; fetching 1,003 objects from the in-process server would cost the suite seconds for nothing more)."""
    client, bucket = boto3.client("s3"), s3_bucket.removeprefix("s3://")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: client.put_object(Bucket=bucket, Key=f"many/n{i:04d}.txt", Body=b"x"), range(1003)))
    client.put_object(Bucket=bucket, Key="many-more/elsewhere.txt", Body=b"x")  # shares the text, not the prefix
    listed = remote.listing(remote.filesystem(), f"{s3_bucket}/many")
    assert [i.path for i in listed] == [f"{bucket}/many/n{i:04d}.txt" for i in range(1003)]


def test_an_object_that_cannot_be_a_local_file_is_one_line(s3_bucket: str, tmp_path: Path, private_tmp: Path) -> None:
    """S3 allows an object `a.jsonl` beside objects under `a.jsonl/`; one file system cannot hold both."""
    client, bucket = boto3.client("s3"), s3_bucket.removeprefix("s3://")
    line = json.dumps({"sample_id": "x", "snapshot": "m", "harmful": True}).encode()
    for key in ("clash/a.jsonl", "clash/a.jsonl/b.jsonl"):
        client.put_object(Bucket=bucket, Key=key, Body=line)
    result = ingest(f"{s3_bucket}/clash/", "--out", tmp_path / "out")
    assert result.code == 1 and result.err.count("\n") == 1, result.err
    assert result.err.startswith(f"evalboard ingest: error: {s3_bucket}/clash/a.jsonl")
    assert f"cannot be copied to {private_tmp}" in result.err
    assert list(private_tmp.iterdir()) == [] and not (tmp_path / "out").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("host", ["127.0.0.2", "127.0.0.1"])
def test_an_unreachable_endpoint_is_one_line(host: str, s3_bucket: str, tmp_path: Path, monkeypatch) -> None:
    port = _free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    args = (f"{s3_bucket}/logs/", "--out", tmp_path / "out")
    result = run(*args, timeout=60) if host == "127.0.0.2" else ingest(*args)  # a real process: no traceback
    assert result.code == EXIT_STORAGE
    assert result.err == (
        f"evalboard ingest: error: {s3_bucket}/logs/: cannot reach the storage endpoint {host}:{port} "
        "(check AWS_ENDPOINT_URL)\n"
    )
    assert result.err.count("\n") == 1 and "Traceback" not in result.err and SECRET not in result.err
    assert not (tmp_path / "out").exists()


def test_a_missing_bucket_or_prefix_names_the_uri(s3_bucket: str, tmp_path: Path) -> None:
    missing = ingest("s3://evalboard-no-such-bucket/logs/", "--out", tmp_path / "out")
    assert missing.code == 2
    assert missing.err == "evalboard ingest: error: s3://evalboard-no-such-bucket/logs/: no such bucket\n"
    empty = ingest(f"{s3_bucket}/nothing-here/", "--out", tmp_path / "out")
    assert empty.code == 2
    assert empty.err == f"evalboard ingest: error: {s3_bucket}/nothing-here/: no objects under this prefix\n"
    assert not (tmp_path / "out").exists()


@pytest.fixture
def strict_server() -> Iterator[str]:
    """A moto server of its own that checks credentials (no key is known to it, so every key is refused)."""
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_refused_credentials_are_one_line(strict_server: str, tmp_path: Path, monkeypatch) -> None:
    for name, value in aws_environment(strict_server).items():
        monkeypatch.setenv(name, value)
    result = ingest("s3://team-logs/inspect/", "--out", tmp_path / "out")
    assert result.code == EXIT_STORAGE
    assert result.err.startswith(
        f"evalboard ingest: error: s3://team-logs/inspect/: the storage endpoint {strict_server.split('//')[1]} "
        "refused the credentials (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
    )
    assert result.err.count("\n") == 1 and SECRET not in result.err and "evalboard-test" not in result.err.split(":")[0]


def test_a_copy_path_maps_back_to_its_uri(tmp_path: Path) -> None:
    fetched = remote.Fetched([], tmp_path)
    assert fetched.uri(tmp_path / "bkt" / "a" / "b.eval") == "s3://bkt/a/b.eval"
    assert fetched.uri("/elsewhere/b.eval") == "/elsewhere/b.eval"
    assert remote.source_argument("s3://bkt/a/") == "s3://bkt/a/"
    shutil.rmtree(tmp_path)
