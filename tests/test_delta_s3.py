"""Issue 24, the write side on S3 (a real S3 API: moto's server on 127.0.0.1, tests/s3server.py): `evalboard ingest
--out s3://…` writes Delta tables; three ingest processes that share no HOME, temp dir or lock write overlapping
sources into one dataset at once and every record is accounted for; reviews from two processes at once are all kept;
storage faults are one plain line with a documented exit code."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from moto import settings as moto_settings

from evalboard.commands.migrate import main as migrate_main
from evalboard.core.exit_codes import EXIT_STORAGE
from evalboard.core.schema import SAMPLES
from evalboard.data import reviews
from evalboard.ingest.commit import KILL_ENV
from tests import tables
from tests.helpers import REPO
from tests.ingest.test_jsonl import row, write_jsonl
from tests.ingest.util import counts, ingest

SECRET = "evalboard-test-secret"  # the fixture's secret key: never in any output


def sources(folder: Path, files: int = 3, per_file: int = 150) -> list[Path]:
    """`files` JSONL files of distinct ids (f<file>-<n>), across two interventions."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in range(files):
        lines = [
            row(0, sample_id=f"f{f}-{i:04d}", intervention=("safe_demos" if i % 3 else "baseline"), harmful=i % 4 == 0)
            for i in range(per_file)
        ]
        out.append(write_jsonl(folder / f"part{f}.jsonl", lines))
    return out


def lines(dataset: str, table: str) -> dict[str, list[dict]]:
    """A table of JSON lines (the ingest log, the quarantine on S3) by ingest id."""
    data = tables.read(dataset, table)
    by_ingest: dict[str, list[dict]] = {}
    for ingest_id, line in zip(data["ingest_id"].to_pylist(), data["line"].to_pylist(), strict=True):
        by_ingest.setdefault(ingest_id, []).append(json.loads(line))
    return by_ingest


def test_ingest_writes_delta_tables_on_s3_and_a_second_run_finds_them_present(s3_bucket, tmp_path) -> None:
    src = sources(tmp_path / "src", files=1, per_file=40)
    bad = write_jsonl(tmp_path / "src" / "bad.jsonl", [row(1, sample_id="bad-1", harmful="perhaps"), "{not json"])
    out = f"{s3_bucket}/team/evals"
    first = ingest(*src, bad, "--out", out, "-q")
    assert first.code == 0, first.err
    assert counts(first.out) == {"records": 42, "imported": 40, "present": 0, "quarantined": 2}
    assert tables.is_delta(out, "samples") and tables.is_delta(out, "transcripts")
    assert tables.count(out, "samples") == (40, 40) and tables.count(out, "transcripts") == (40, 40)
    [logged] = lines(out, "ingest_log").values()
    assert sum(x["records"] for x in logged) == 42
    [quarantined] = lines(out, "quarantine").values()
    assert len(quarantined) == 2 and {x["position"] for x in quarantined} == {"line 1", "line 2"}
    again = ingest(*src, "--out", out, "-q")
    assert counts(again.out) == {"records": 40, "imported": 0, "present": 40, "quarantined": 0}
    assert tables.count(out, "samples") == (40, 40)
    assert SECRET not in first.out + first.err + again.out + again.err


def test_three_ingest_processes_at_once_into_one_s3_dataset_account_for_every_record(s3_bucket, tmp_path) -> None:
    """Overlapping sources (run k imports parts k and k+1): distinct ids exact, each run's summary adds up, the
    rows each run says it imported are exactly the rows in the tables, and a reader (deltalake + DuckDB, keeping one
    row per key: the documented rule) sees every sample once with its transcript."""
    parts = sources(tmp_path / "src", files=3, per_file=150)
    out = f"{s3_bucket}/shared"
    procs = []
    for k in range(3):
        home, tmp = tmp_path / f"home{k}", tmp_path / f"tmp{k}"
        home.mkdir()
        tmp.mkdir()
        env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(home), "TMPDIR": str(tmp)}
        command = [sys.executable, "-m", "evalboard", "ingest", str(parts[k]), str(parts[(k + 1) % 3]), "--out", out]
        procs.append(
            subprocess.Popen([*command, "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    results = [(*p.communicate(timeout=120), p.returncode) for p in procs]
    for stdout, stderr, code in results:
        assert code == 0, stderr
        assert SECRET not in stdout + stderr
    summaries = [counts(stdout) for stdout, _, _ in results]
    for s in summaries:
        assert s["records"] == 300 == s["imported"] + s["present"] + s["quarantined"] and s["quarantined"] == 0
    samples_rows, distinct = tables.count(out, "samples")
    assert distinct == 450  # every id of the three parts, none lost
    assert samples_rows == sum(s["imported"] for s in summaries)  # each run's "imported" is exactly what it wrote
    assert sum(s["present"] for s in summaries) == 900 - samples_rows
    with duckdb.connect() as con:
        con.register("samples", tables.read(out, "samples"))
        con.register("transcripts", tables.read(out, "transcripts"))
        seen = con.execute(
            "WITH s AS (SELECT DISTINCT ON (sample_id) * FROM samples ORDER BY sample_id),"
            " t AS (SELECT DISTINCT ON (sample_id) * FROM transcripts ORDER BY sample_id)"
            " SELECT count(*), count(DISTINCT s.sample_id), count(t.sample_id) FROM s LEFT JOIN t USING (sample_id)"
        ).fetchone()
    assert seen == (450, 450, 450)
    logs = lines(out, "ingest_log")
    assert len(logs) == 3  # every run's lines, none lost
    logged = [x for run in logs.values() for x in run]
    assert sum(x["records"] for x in logged) == 900 and sum(x["imported"] for x in logged) == samples_rows


CHILD_REVIEWS = """
import sys
from evalboard.data import reviews
from evalboard.ingest.commit import KILL_ENV
for i in range(int(sys.argv[3])):
    reviews.write(sys.argv[1], reviews.Review(f"f0-{i:04d}", sys.argv[2], "harmful"))
"""


def test_two_processes_appending_reviews_at_once_lose_none(s3_bucket, tmp_path) -> None:
    out = f"{s3_bucket}/reviewed"
    assert ingest(*sources(tmp_path / "src", files=1, per_file=10), "--out", out, "-q").code == 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD_REVIEWS, out, who, "8"], env=env, stderr=subprocess.PIPE, text=True
        )
        for who in ("ann", "bob")
    ]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    written = tables.read(out, "reviews")
    assert written.num_rows == 16
    assert sorted(set(written["reviewer"].to_pylist())) == ["ann", "bob"]
    assert len(set(written["review_id"].to_pylist())) == 16
    # The form's idempotency key: a repeat of one id stores nothing.
    form = reviews.Review("f0-0001", "cy", "unsure", review_id="feed" * 8)
    assert reviews.write(out, form, once=True) == reviews.write(out, form, once=True) == f"{out}/reviews"
    assert tables.read(out, "reviews").num_rows == 17


def assert_one_line(result, *words: str) -> None:
    assert result.code == EXIT_STORAGE, (result.code, result.err)
    lines = [x for x in result.err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("evalboard ingest: error: "), result.err
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in result.err and SECRET not in result.err + result.out


def test_an_unreachable_endpoint_is_one_line(s3_bucket, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # a closed port on loopback
    src = sources(tmp_path / "src", files=1, per_file=2)
    assert_one_line(ingest(*src, "--out", f"{s3_bucket}/x", "-q"), "cannot reach the storage endpoint 127.0.0.1:1")


def test_a_missing_bucket_is_one_line(s3_bucket, tmp_path) -> None:
    src = sources(tmp_path / "src", files=1, per_file=2)
    result = ingest(*src, "--out", "s3://evalboard-no-such-bucket/x", "-q")
    assert_one_line(result, "s3://evalboard-no-such-bucket/x: no such bucket")


def test_refused_credentials_are_one_line(s3_bucket, tmp_path, monkeypatch) -> None:
    """moto checks signatures against its IAM once no unauthenticated action is allowed: the test keys are unknown."""
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    src = sources(tmp_path / "src", files=1, per_file=2)
    assert_one_line(ingest(*src, "--out", f"{s3_bucket}/x", "-q"), "refused the credentials")


def test_a_writer_killed_between_its_commits_on_s3_leaves_all_or_none_and_the_next_run_finishes(
    s3_bucket, tmp_path
) -> None:
    """SIGKILL after the transcripts commit, before the samples commit (EVALBOARD_KILL_AT): transcripts without samples
    are invisible to every count of samples; the next run commits the samples and no transcript twice."""
    src = sources(tmp_path / "src", files=1, per_file=30)
    out = f"{s3_bucket}/killed"
    env = {**os.environ, "PYTHONPATH": str(REPO), KILL_ENV: "committed-transcripts"}
    killed = subprocess.run(
        [sys.executable, "-m", "evalboard", "ingest", *map(str, src), "--out", out, "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert tables.count(out, "transcripts") == (30, 30) and not tables.is_delta(out, "samples")
    again = ingest(*src, "--out", out, "-q")
    assert counts(again.out) == {"records": 30, "imported": 30, "present": 0, "quarantined": 0}
    assert tables.count(out, "samples") == (30, 30) and tables.count(out, "transcripts") == (30, 30)


def test_migrate_onto_s3_copies_every_table_with_identical_counts(s3_bucket, tmp_path) -> None:
    old = tmp_path / "old"
    (old / "samples").mkdir(parents=True)
    pq.write_table(SAMPLES.empty_table(), old / "samples" / "seed.parquet")  # a plain-Parquet dataset
    assert ingest(*sources(tmp_path / "src", files=1, per_file=25), "--out", old, "-q").code == 0
    (old / "dataset.toml").write_text('title = "old"\n')
    out, err = io.StringIO(), io.StringIO()
    new = f"{s3_bucket}/migrated"
    assert migrate_main([str(old), new], stdout=out, stderr=err) == 0, err.getvalue()
    for table in ("samples", "transcripts"):
        assert tables.count(new, table) == tables.count(old, table) == (25, 25)
    assert len(next(iter(lines(new, "ingest_log").values()))) == 1
    assert "not copied: dataset.toml" in out.getvalue()
