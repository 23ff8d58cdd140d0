"""Inspect Scout scan folders in Scout's on-disk format, written for the tests (docs/FORMATS.md §7).

Layout and columns as Scout's file recorder writes them: `scan_id=<id>/_scan.json`, `_summary.json`,
`_errors.jsonl` and `<scanner key>.parquet`, one row per result; `value` is stored as a string (Scout casts the
column to string when it compacts the buffer), `value_type` says what it was; `metadata`, `message_references`
and the other JSON fields are JSON text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCAN_ID = "JzvEPBFB4aVpCU93FFbiFT"


def result(
    transcript_id: str,
    eval_id: str,
    task_id: str | None,
    epoch: int | None,
    value: Any,
    value_type: str,
    explanation: str | None = None,
    *,
    scanner: str = "eval_awareness",
    metadata: dict[str, Any] | None = None,
    references: list[dict[str, Any]] | None = None,
    scan_error: str | None = None,
    legacy: bool = False,
) -> dict[str, Any]:
    """One result row; `legacy` spells task id and epoch as the older `id` / `epoch` columns."""
    row = {
        "transcript_id": transcript_id,
        "transcript_source_type": "eval_log",
        "transcript_source_id": eval_id,
        "transcript_source_uri": f"/logs/{eval_id}.eval",
        "transcript_date": "2026-01-15T13:30:22+00:00",
        "transcript_task_set": "agentic_misalignment",
        "transcript_task_id": task_id,
        "transcript_task_repeat": epoch,
        "transcript_model": "mockllm/model",
        "transcript_metadata": "{}",
        "scan_id": SCAN_ID,
        "scan_tags": "[]",
        "scan_metadata": "{}",
        "scanner_key": scanner,
        "scanner_name": scanner,
        "scanner_file": "eval_awareness.py",
        "scanner_params": "{}",
        "input_type": "transcript",
        "input_ids": json.dumps([transcript_id]),
        "uuid": f"r-{transcript_id}",
        "label": None,
        "value": None if value is None else str(value),
        "value_type": value_type,
        "answer": None,
        "explanation": explanation,
        "metadata": json.dumps(metadata or {}),
        "message_references": json.dumps(references or []),
        "event_references": "[]",
        "validation_target": None,
        "validation_result": None,
        "scan_error": scan_error,
        "scan_error_traceback": None,
        "scan_error_type": None,
        "scan_total_tokens": 812,
        "scan_model_usage": "{}",
        "scan_events": "[]",
        "timestamp": "2026-01-16T09:00:00+00:00",
    }
    if legacy:
        row["id"], row["epoch"] = row.pop("transcript_task_id"), row.pop("transcript_task_repeat")
    return row


def write_scan(root: Path, scanners: dict[str, list[dict[str, Any]]]) -> Path:
    """A scan folder under `root` (a Scout `scans/` folder) with one Parquet file per scanner; returns it."""
    folder = root / f"scan_id={SCAN_ID}"
    folder.mkdir(parents=True)
    spec = {
        "scan_id": SCAN_ID,
        "scan_name": "scan",
        "timestamp": "2026-01-16T09:00:00+00:00",
        "model": {"model": "mockllm/model", "config": {}, "args": {}},
        "transcripts": {"type": "eval_log", "fields": [{"name": "sample_id", "type": "string"}]},
        "scanners": {name: {"name": name, "file": f"{name}.py"} for name in scanners},
    }
    (folder / "_scan.json").write_text(json.dumps(spec))
    summary = {"complete": True, "scanners": {n: {"scans": len(r), "results": len(r)} for n, r in scanners.items()}}
    (folder / "_summary.json").write_text(json.dumps(summary))
    (folder / "_errors.jsonl").write_text("")
    for name, rows in scanners.items():
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{name}.parquet", compression="zstd")
    return folder
