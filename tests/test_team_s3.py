"""Issue 24 end to end (a real S3 API: moto's server on 127.0.0.1, tests/s3server.py): what the app writes goes to
the dataset's location, two replicas over one s3:// dataset see each other's reviews on their next refresh and lose
none; three ingest jobs at once, then `readiness --as-of` judges the data as it was; a local Delta dataset is read
through its log, never by globbing its folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable

from evalboard.core.location import storage_options
from evalboard.data.store import Store
from tests import tables
from tests.helpers import REPO
from tests.ingest.test_jsonl import row, write_jsonl
from tests.ingest.util import ingest

SNAP = "ckpt-1"  # the snapshot of every row `sources` writes
SECRET = "evalboard-test-secret"


def sources(folder: Path, first: int, count: int, name: str) -> Path:
    """One JSONL file of samples s<first>…s<first+count-1> (ids overlap across files that share a range)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [row(i, sample_id=f"s{i:05d}", harmful=i % 5 == 0) for i in range(first, first + count)]
    return write_jsonl(folder / f"{name}.jsonl", lines)


def isolated_env(tmp_path: Path, name: str) -> dict[str, str]:
    """A process's own HOME, temp dir and cache (another machine, as far as evalboard can tell)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for var, sub in (("HOME", "home"), ("TMPDIR", "tmp"), ("XDG_CACHE_HOME", "cache")):
        folder = tmp_path / name / sub
        folder.mkdir(parents=True, exist_ok=True)
        env[var] = str(folder)
    return env


def evalboard(*args: str, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "evalboard", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


def finished(proc: subprocess.Popen, timeout: float = 60) -> tuple[str, str, int]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return out, err, proc.returncode


def judged_n(stdout: str) -> int:
    """The graded samples `readiness --format json` judged (the one family of these sources)."""
    [family] = json.loads(stdout)["families"]
    return family["n"]


def test_three_ingest_jobs_at_once_then_as_of_judges_the_data_as_it_was(s3_bucket, tmp_path) -> None:
    """Job k imports s[100k, 100k+150): overlapping ids, 350 distinct. readiness counts each once; after one more
    import, `--as-of` the noted version gives the earlier count and the default the new one."""
    src = tmp_path / "src"
    out = f"{s3_bucket}/team"
    jobs = [
        evalboard(
            "ingest",
            str(sources(src, 100 * k, 150, f"job{k}")),
            "--out",
            out,
            "-q",
            env=isolated_env(tmp_path, f"j{k}"),
        )
        for k in range(3)
    ]
    for stdout, stderr, code in (finished(p, 90) for p in jobs):
        assert code == 0, stderr
        assert SECRET not in stdout + stderr
    reader = isolated_env(tmp_path, "reader")
    stdout, stderr, code = finished(evalboard("readiness", SNAP, "--data", out, "--format", "json", env=reader))
    assert code in (0, 1, 2), stderr
    assert judged_n(stdout) == 350 == tables.count(out, "samples")[1]
    noted = int(re.search(r"as of version (\d+)", stderr).group(1))  # type: ignore[union-attr]
    assert noted == DeltaTable(f"{out}/samples", storage_options=storage_options()).version()

    more = evalboard(
        "ingest", str(sources(src, 1000, 40, "later")), "--out", out, "-q", env=isolated_env(tmp_path, "j3")
    )
    assert finished(more)[2] == 0
    now, _, _ = finished(evalboard("readiness", SNAP, "--data", out, "--format", "json", env=reader))
    pinned, pinned_err, _ = finished(
        evalboard("readiness", SNAP, "--data", out, "--format", "json", "--as-of", str(noted), env=reader)
    )
    assert judged_n(now) == 390
    assert judged_n(pinned) == 350, pinned_err
    assert f"as of version {noted}" in pinned_err and "1 import since" in pinned_err


REPLICA = """
import json, sys, time
from pathlib import Path
from evalboard.data import reviews
from evalboard.data.store import Store

dataset, who, n, barrier = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
store = Store(dataset)  # this replica's own store: its derived data under its own XDG_CACHE_HOME
before = store.run("reviews_all").height
(barrier / f"ready-{who}").touch()
deadline = time.monotonic() + 60
while not (barrier / "go").exists() and time.monotonic() < deadline:
    time.sleep(0.02)
for i in range(n):
    reviews.write(store.dataset, reviews.Review(f"s{i:05d}", who, "harmful"))
(barrier / f"done-{who}").touch()
while len(list(barrier.glob("done-*"))) < 2 and time.monotonic() < deadline:
    time.sleep(0.02)
seen = store.run("reviews_all")  # the next refresh: a page load
print(json.dumps({"before": before, "by": sorted(seen.get_column("reviewer").to_list())}))
"""


def test_two_replicas_writing_reviews_at_once_see_each_others_and_lose_none(s3_bucket, tmp_path) -> None:
    out = f"{s3_bucket}/reviewed"
    assert ingest(sources(tmp_path / "src", 0, 10, "a"), "--out", out, "-q").code == 0
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, out, who, "6", str(barrier)],
            env=isolated_env(tmp_path, who),
            cwd=tmp_path / who,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("ann", "bob")
    ]
    deadline = time.monotonic() + 60
    while (
        len(list(barrier.glob("ready-*"))) < 2
        and time.monotonic() < deadline
        and all(p.poll() is None for p in replicas)
    ):
        time.sleep(0.05)
    (barrier / "go").touch()  # both write at once
    for stdout, stderr, code in (finished(p, 90) for p in replicas):
        assert code == 0, stderr
        seen = json.loads(stdout)
        assert seen["before"] == 0
        assert seen["by"] == ["ann"] * 6 + ["bob"] * 6  # its own and the other replica's, none lost
    for who in ("ann", "bob"):  # nothing written to a relative local path ("s3:/bucket/…") where a replica runs
        assert sorted(p.name for p in (tmp_path / who).iterdir()) == ["cache", "home", "tmp"]
    written = tables.read(out, "reviews")
    assert written.num_rows == 12 and len(set(written["review_id"].to_pylist())) == 12


DRAW = """
import json, sys
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import calibration as cal

stored = cal.draw(Store(sys.argv[1]), View(), per_stratum=5, seed=3)
print(json.dumps({"stored": str(stored), "items": cal.load(Store(sys.argv[1])).items.height}))
"""


def test_a_calibration_draw_on_s3_goes_to_the_dataset(s3_bucket, tmp_path) -> None:
    """The draw is appended to the dataset's calibration table on S3 (not to a relative local path where the app
    runs), and a store opened afresh — another replica — reads it back."""
    out = f"{s3_bucket}/calibrated"
    assert ingest(sources(tmp_path / "src", 0, 60, "a"), "--out", out, "-q").code == 0
    replica = tmp_path / "replica"
    stdout, stderr, code = finished(
        subprocess.Popen(
            [sys.executable, "-c", DRAW, out],
            env=isolated_env(tmp_path, "replica"),
            cwd=replica,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    assert code == 0, stderr
    drawn = json.loads(stdout)
    assert drawn["stored"] == f"{out}/calibration" and tables.is_delta(out, "calibration")
    assert drawn["items"] == tables.read(out, "calibration").num_rows == 10  # 5 per stratum: harmful, not harmful
    assert sorted(p.name for p in replica.iterdir()) == ["cache", "home", "tmp"]  # nothing written where it runs


def test_a_local_delta_dataset_is_read_through_its_log_not_by_globbing(tmp_path) -> None:
    """A killed writer's data file (written, never committed) sits in samples/: no version names it, so no count
    includes it — while a plain-Parquet dataset would count every file in the folder."""
    out = tmp_path / "new"
    assert ingest(sources(tmp_path / "src", 0, 30, "a"), "--out", out, "-q").code == 0
    assert tables.is_delta(out, "samples")
    assert Store(out).run("dataset_totals").item(0, "samples") == 30
    committed = sorted((out / "samples").glob("*.parquet"))[0]
    data = pq.read_table(committed).slice(0, 7)
    data = data.set_column(
        data.schema.get_field_index("sample_id"), "sample_id", pa.array([f"orphan-{i}" for i in range(7)])
    )
    pq.write_table(data, out / "samples" / "part-00000-0badc0de-0000-0000-0000-000000000000-c000.zstd.parquet")
    assert Store(out).run("dataset_totals").item(0, "samples") == 30
    assert Store(out, rollups=False).run("dataset_totals").item(0, "samples") == 30
    shutil.rmtree(out / "samples" / "_delta_log")  # the same files read as a plain folder: every file counts
    assert Store(out).run("dataset_totals").item(0, "samples") == 37
