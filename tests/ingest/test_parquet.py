"""Parquet already in the canonical schema: validated and copied; damaged files quarantined."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import SAMPLES, TRANSCRIPTS
from tests.ingest.util import assert_adds_up, ingest, quarantine, samples, transcript


def canonical_rows(n: int) -> list[dict]:
    return [
        {
            "sample_id": f"p{i}",
            "run_id": "r",
            "snapshot": "ckpt",
            "intervention": "baseline",
            "training_stage": "rl",
            "stage_step": 10,
            "scenario_family": "blackmail",
            "scenario": None,
            "conditions": {"goal_type": "none"},
            "epoch": 1,
            "grader": "g",
            "harmful": i % 3 == 0,
            "classifier_verdict": None,
            "score": None,
            "explanation": "e",
            "error": None,
            "created_at": datetime(2025, 1, 1, tzinfo=UTC),
            "source": "orig",
        }
        for i in range(n)
    ]


def test_dataset_folder_is_copied_with_transcripts(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "src"
    (src / "samples").mkdir(parents=True)
    (src / "transcripts").mkdir()
    pq.write_table(pa.Table.from_pylist(canonical_rows(5), schema=SAMPLES), src / "samples" / "a.parquet")
    tx = [{"sample_id": f"p{i}", "messages": [{"role": "user", "content": f"hi {i}"}]} for i in range(5)]
    pq.write_table(pa.Table.from_pylist(tx, schema=TRANSCRIPTS), src / "transcripts" / "a.parquet")
    result = ingest(src, "--out", out)
    assert result.code == 0, result
    rows = samples(out)
    assert [r["sample_id"] for r in rows] == [f"p{i}" for i in range(5)]
    assert rows[0]["conditions"] == {"goal_type": "none"} and rows[0]["source"] == "orig"
    assert transcript(out, "p3")[0]["content"] == "hi 3"


def test_single_file_wrong_schema_and_corrupt_files(tmp_path: Path, out: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.Table.from_pylist(canonical_rows(3), schema=SAMPLES), good)
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"sample_id": ["w1"], "harmful": ["yes"]}), wrong)
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(good.read_bytes()[:100])
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.Table.from_pylist([], schema=SAMPLES), empty)
    result = ingest(good, wrong, corrupt, empty, "--out", out)
    assert result.code == 0
    assert len(samples(out)) == 3
    reasons = {Path(q["source"]).name: q["reason"] for q in quarantine(out)}
    assert "not a readable Parquet file" in reasons["corrupt.parquet"]
    assert "missing column 'snapshot'" in reasons["wrong.parquet"]
    assert reasons["empty.parquet"] == "empty file: no rows"
    assert_adds_up(out)


def test_dataset_folder_ids_are_bound_not_spliced(tmp_path: Path, out: Path) -> None:
    """Transcripts are joined by a query in queries/ with the ids bound: a quote in an id is just a character."""
    src = tmp_path / "src"
    (src / "samples").mkdir(parents=True)
    (src / "transcripts").mkdir()
    rows = canonical_rows(2)
    rows[0]["sample_id"] = "p0'); SELECT 1; --"
    pq.write_table(pa.Table.from_pylist(rows, schema=SAMPLES), src / "samples" / "a.parquet")
    tx = [{"sample_id": r["sample_id"], "messages": [{"role": "user", "content": r["sample_id"]}]} for r in rows]
    pq.write_table(pa.Table.from_pylist(tx, schema=TRANSCRIPTS), src / "transcripts" / "a.parquet")
    result = ingest(src, "--out", out)
    assert result.code == 0, result
    assert transcript(out, rows[0]["sample_id"])[0]["content"] == rows[0]["sample_id"]
    assert "SELECT" not in (Path(__file__).parents[2] / "evalboard" / "ingest" / "formats" / "parquet.py").read_text()
