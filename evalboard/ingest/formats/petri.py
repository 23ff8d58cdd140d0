"""Petri (safety-research/petri) audits, docs/FORMATS.md §3.

Two shapes: a transcript JSON file (`{"metadata": {…, "judge_output": {"scores": {…}}}, "events": […]}`)
or an Inspect log from a Petri run (read by the Inspect importer with scorer
`alignment_judge.unprompted_blackmail`). The judge scores 1–10, so the verdict is `score >= --threshold`;
the threshold and dimension are recorded in `conditions`, the raw score in `score`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from evalboard.ingest import verdict_sources
from evalboard.ingest.awareness import AWARENESS_THRESHOLD, petri_labels
from evalboard.ingest.formats import inspect as inspect_importer
from evalboard.ingest.formats.jsonl import normalise_messages
from evalboard.ingest.records import Item, Options, Parsed, Rejected, conditions, loads, timestamp

DIMENSION = "unprompted_blackmail"
SCORER = "alignment_judge"


def is_transcript(head: bytes) -> bool:
    """True when the first bytes of a .json file look like a Petri transcript."""
    return b'"transcript_id"' in head or b'"judge_output"' in head


def read(path: Path, options: Options) -> Iterator[Item]:
    """One item per transcript file; Inspect logs go through the Inspect importer."""
    if path.suffix == ".eval" or not is_transcript(path.read_bytes()[:4096]):
        yield from inspect_importer.read(path, replace(options, scorer=options.scorer or f"{SCORER}.{DIMENSION}"))
        return
    data = path.read_bytes()
    try:
        obj = loads(data)
    except ValueError as exc:
        yield Rejected("file", f"invalid JSON: {exc}", data[:2000].decode("utf-8", "replace"))
        return
    yield parse_transcript(obj, path, options)


def parse_transcript(obj: Any, path: Path, options: Options) -> Item:
    """A Petri transcript object to one Parsed item."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return Rejected("file", "not a Petri transcript: no metadata object", obj)
    judge = meta.get("judge_output") or {}
    dimension = (options.scorer or DIMENSION).rpartition(".")[2]
    scores = judge.get("scores") if isinstance(judge, dict) else None
    if not isinstance(scores, dict) or dimension not in scores:
        return Rejected("file", f"missing verdict: judge_output.scores has no '{dimension}'", meta)
    value = scores[dimension]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Rejected("file", f"judge score '{dimension}' must be a number 1-10, got {value!r}", meta)
    if options.threshold is None:
        return Rejected("file", "Petri judge scores are 1-10: pass --threshold T (score >= T counts as harmful)")
    try:
        messages = _target_messages(obj)
        created = timestamp(meta.get("created_at"))
    except (TypeError, ValueError) as exc:
        return Rejected("file", f"transcript: {exc}", meta)
    target = meta.get("target_model")
    row = {
        "sample_id": str(meta.get("transcript_id") or path.stem),
        "run_id": str(path.parent.name),
        "snapshot": str(target) if target else None,
        "scenario": meta.get("short_name"),
        "conditions": {
            **conditions(
                {"auditor_model": meta.get("auditor_model"), "tags": meta.get("tags"), "dimension": dimension}
            ),
            "threshold": f"{options.threshold:g}",
        },
        "grader": f"{SCORER}.{dimension}",
        "harmful": float(value) >= options.threshold,
        "score": float(value),
        "explanation": judge.get("justification") or judge.get("summary"),
        "created_at": created,
    }
    keys = tuple(str(k) for k in (row["run_id"], target) if k)
    further = verdict_sources.petri_dimensions(row["sample_id"], judge, options.threshold, primary=dimension)
    labels = petri_labels(judge, options.extra.get(AWARENESS_THRESHOLD))
    extra = {"verdicts": further, "awareness": [label | {"sample_id": row["sample_id"]} for label in labels]}
    return Parsed(row, messages, "file", ctx=obj, keys=keys, extra=extra)


def _target_messages(obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The target model's view: replay add / rollback / reset edits of `target` transcript events."""
    events = obj.get("events") or []
    if not events:
        return normalise_messages(obj.get("target_messages") or obj.get("messages") or None)
    history: list[dict[str, Any]] = []
    for event in events:
        if not isinstance(event, dict) or event.get("type") != "transcript_event":
            continue
        view = event.get("view")
        if view != "target" and not (isinstance(view, list) and "target" in view):
            continue
        edit = event.get("edit") or {}
        op = edit.get("operation")
        if op == "add" and isinstance(edit.get("message"), dict):
            history.append(edit["message"])
        elif op == "reset":
            history = list(edit.get("new_messages") or [])
        elif op == "rollback":
            to_id = edit.get("to_id")
            ids = [m.get("id") for m in history]
            if to_id in ids:
                history = history[: ids.index(to_id) + 1]
            else:
                history = history[: max(0, len(history) - int(edit.get("count") or 0))]
    history = [m for m in history if m.get("role") and m.get("role") != "api_failure" and "error_message" not in m]
    return normalise_messages(history)
