"""Small canonical datasets written as real Parquet for tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import SAMPLES, TRANSCRIPTS

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo"


def sample(i: int, **overrides) -> dict:
    """One canonical sample row; `overrides` set any column."""
    row = {
        "sample_id": f"t-{i:06d}",
        "run_id": "run-1",
        "snapshot": "snap-a",
        "intervention": "baseline",
        "training_stage": "rl",
        "stage_step": 100,
        "scenario_family": "blackmail",
        "scenario": "blackmail_explicit-america_replacement",
        "conditions": [("goal_type", "explicit")],
        "epoch": 1,
        "grader": "grader-1",
        "harmful": i % 2 == 0,
        "classifier_verdict": i % 2 == 0,
        "score": 0.5,
        "explanation": "because",
        "error": None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "source": "test",
    }
    row.update(overrides)
    return row


def write_samples(path: Path, rows: list[dict], schema: pa.Schema = SAMPLES) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def write_transcripts(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=TRANSCRIPTS), path)
    return path


def shown(markdown: str) -> str:
    """Roughly what a reader sees of the app's Markdown: escapes and code-span fences removed."""
    return re.sub(r"(`+) ?(.*?) ?\1", r"\2", markdown).replace("\\", "")


def damage_data_pages(path: Path, column: int = 0) -> None:
    """Scramble the data pages of one column of a Parquet file but keep its footer: the file opens, lists its
    columns and row counts, and fails only when that column's values are read (bit rot, a bad copy)."""
    import pyarrow.parquet as pq

    chunk = pq.ParquetFile(path).metadata.row_group(0).column(column)
    data = bytearray(path.read_bytes())
    start = chunk.data_page_offset
    for i in range(start + 8, start + chunk.total_compressed_size - 2):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
