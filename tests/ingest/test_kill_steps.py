"""Crash consistency (issue 22, item 5; issue 24 for Delta tables): `evalboard ingest` killed with SIGKILL at each
named step of publishing a part (`EVALBOARD_KILL_AT`, evalboard/ingest/commit.py) leaves no table a page reads with a
repeated row, and the next ingest finishes the interrupted work (a plain-Parquet dataset: removes the stale temporary
files, finishes the journal's renames; a Delta dataset: skips the rows a killed writer's commits already hold): the
dataset ends exactly as one uninterrupted ingest leaves it. Real processes, real kills; no timing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.ingest.commit import DELTA_STEPS, JOURNAL, KILL_ENV, STEPS
from evalboard.screens.transcripts import ListRequest, sample_page
from tests import tables
from tests.helpers import REPO
from tests.ingest.test_agentic_misalignment import build_results
from tests.ingest.util import ingest as ingest_here
from tests.tables import seed_plain

# The agentic-misalignment tree writes samples, transcripts and further verdicts: every step but awareness's.
REACHED = [("parquet", step) for step in STEPS if "awareness" not in step]
REACHED += [("delta", step) for step in DELTA_STEPS if "awareness" not in step]


def ingest(src: Path, out: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop(KILL_ENV, None)
    if kill_at:
        env[KILL_ENV] = kill_at
    command = [sys.executable, "-m", "evalboard", "ingest", str(src), "--out", str(out), "--set", "intervention=x"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def rows(out: Path, table: str, key: str) -> tuple[int, int]:
    """(rows, distinct keys) of a table's published files (a Delta table: its current snapshot)."""
    return tables.count(out, table, key)


def assert_no_repeats(out: Path) -> None:
    for table, key in (("samples", "sample_id"), ("transcripts", "sample_id"), ("verdicts", "sample_id, source")):
        total, distinct = rows(out, table, key)
        assert total == distinct, (table, total, distinct)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_results(tmp_path_factory.mktemp("src")).parents[0]


@pytest.fixture(scope="module")
def clean(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, int]]:
    out = tmp_path_factory.mktemp("clean") / "data"
    assert ingest(source, out).returncode == 0
    return {t: rows(out, t, "sample_id") for t in ("samples", "transcripts", "verdicts")}


@pytest.mark.parametrize(("layout", "step"), REACHED)
def test_a_kill_at_each_step_leaves_no_repeat_and_the_next_ingest_finishes(
    source, clean, tmp_path, layout, step
) -> None:
    out = tmp_path / "data"
    if layout == "parquet":
        seed_plain(out)
    killed = ingest(source, out, step)
    assert killed.returncode == -signal.SIGKILL, (step, killed.stderr)
    assert_no_repeats(out)
    store = Store(out)
    assert store.run("dataset_totals").row(0, named=True)["samples"] == rows(out, "samples", "sample_id")[1]
    again = ingest_here(source, "--out", out, "--set", "intervention=x")  # the next run, in this process
    assert again.code == 0, again.err
    assert not list(out.rglob("*.tmp")) and not (out / JOURNAL).exists()
    assert_no_repeats(out)
    assert {t: rows(out, t, "sample_id") for t in clean} == clean  # exactly as one uninterrupted ingest
    assert tables.is_delta(out, "samples") == (layout == "delta")
    if step.startswith("staged-") or step == "journal-written":
        assert "removed" in again.err or "finished publishing" in again.err


def test_the_renames_a_kill_interrupted_are_finished_not_redone(source, clean, tmp_path) -> None:
    """Killed between the transcripts rename and the samples rename: the next ingest publishes the samples file the
    journal names (no transcript is written twice), and finds everything already present."""
    out = tmp_path / "data"
    seed_plain(out)
    assert ingest(source, out, "renamed-transcripts").returncode == -signal.SIGKILL
    assert (out / JOURNAL).exists() and list((out / "samples").glob(".*.tmp"))
    again = ingest_here(source, "--out", out, "--set", "intervention=x")
    assert "finished publishing 1 file(s)" in again.err
    assert "already present" in again.out
    assert {t: rows(out, t, "sample_id") for t in clean} == clean


def test_a_repeated_transcript_row_never_doubles_a_search_without_the_index(tmp_path, source) -> None:
    """A transcripts file copied by hand (or left by an older version's kill): with no search index (a folder where
    it cannot be written), the scan counts and lists each sample once."""
    out = tmp_path / "data"
    seed_plain(out)
    assert ingest(source, out).returncode == 0
    [original] = (out / "transcripts").glob("*.parquet")
    (out / "transcripts" / "copy.parquet").write_bytes(original.read_bytes())
    index = out / ".index"
    for path in sorted(index.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    index.rmdir()
    index.write_text("in the way: the search index cannot be written, so searches scan")
    store = Store(out)
    frame, total = sample_page(store, ListRequest(View(), query="go over your inbox"))
    assert total == frame.height == frame.get_column("sample_id").n_unique() > 0
