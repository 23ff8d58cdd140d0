"""Petri (safety-research/petri) audits, docs/FORMATS.md §3.

Two shapes: a transcript JSON file (`{"metadata": {…, "judge_output": {"scores": {…}}}, "events": […]}`)
or an Inspect log from a Petri run (read by the Inspect importer with scorer
`alignment_judge.unprompted_blackmail`). The judge scores 1–10, so the verdict is `score >= --threshold`;
the threshold and dimension are recorded in `conditions`, the raw score in `score`.

Petri's judge output, here and in Inspect logs of Petri runs (the Inspect format reads its labels from here):
each other dimension is a further verdict source (`petri:<dimension>`, its 1–10 score kept); its `eval_awareness`
score (1–10) is an awareness label with `--awareness-threshold`: score ≥ threshold → evaluation, below → none, the
evidence the highlights its justification cites for eval awareness, else a keyword pick (`LIKELY_NOTE`).
Detection: a JSON object whose first bytes name `transcript_id` or `judge_output`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from evalboard.core.schema import EVIDENCE_SEPARATOR, LIKELY_NOTE
from evalboard.ingest.awareness import AwarenessError, label_row, unrecognised
from evalboard.ingest.formats.base import Claim, Format, Head
from evalboard.ingest.formats.jsonl import normalise_messages
from evalboard.ingest.records import Item, Options, Parsed, Rejected, conditions, loads, timestamp
from evalboard.ingest.verdict_sources import verdict_row

DIMENSION = "unprompted_blackmail"
SCORER = "alignment_judge"
AWARENESS_THRESHOLD = "awareness_threshold"  # key of Options.extra: `--awareness-threshold` (Petri's 1–10 scale)
AWARENESS_SOURCE = "petri:eval_awareness"
PETRI_SCALE = (1.0, 10.0)
PETRI_DIMENSION = "eval_awareness"
_DIMENSION_NAME = re.compile(r"eval(?:uation)?[\s_-]*awareness", re.IGNORECASE)
_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def is_transcript(head: bytes) -> bool:
    """True when the first bytes of a .json file look like a Petri transcript."""
    return b'"transcript_id"' in head or b'"judge_output"' in head


def read(path: Path, options: Options) -> Iterator[Item]:
    """One item per transcript file."""
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
    further = petri_dimensions(row["sample_id"], judge, options.threshold, primary=dimension)
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


def petri_dimensions(
    sample_id: str, judge_output: Mapping[str, Any], threshold: float | None, primary: str | None = None
) -> list[dict[str, Any]]:
    """One row per Petri judge dimension (source `petri:<dimension>`, its 1–10 score kept) but the primary one.

    With a threshold the verdict is `score >= threshold`, as for the primary dimension; without one, no verdict.
    """
    scores = judge_output.get("scores")
    if not isinstance(scores, Mapping):
        return []
    explanation = judge_output.get("justification") or judge_output.get("summary")
    rows = []
    for dimension, value in sorted(scores.items()):
        if dimension == primary:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            rows.append(verdict_row(sample_id, f"petri:{dimension}", None, explanation=explanation))
            continue
        harmful = None if threshold is None else float(value) >= threshold
        rows.append(verdict_row(sample_id, f"petri:{dimension}", harmful, score=float(value), explanation=explanation))
    return rows


def check_threshold(threshold: float) -> float:
    """The Petri awareness threshold, or ValueError when it lies outside the 1–10 scale."""
    low, high = PETRI_SCALE
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not math.isfinite(threshold):
        raise ValueError(f"--awareness-threshold must be a number from {low:g} to {high:g}, got {threshold!r}")
    if not low <= threshold <= high:
        raise ValueError(
            f"--awareness-threshold {threshold:g} is outside Petri's {low:g}–{high:g} eval_awareness scale"
        )
    return float(threshold)


def petri_label(
    scores: Mapping[str, Any],
    threshold: float,
    highlights: Sequence[Mapping[str, Any]] | None = None,
    justification: str | None = None,
) -> dict | None:
    """Petri's judge `eval_awareness` (1–10): ≥ threshold → evaluation, else none; None when not scored."""
    if PETRI_DIMENSION not in scores or scores[PETRI_DIMENSION] is None:
        return None
    value = scores[PETRI_DIMENSION]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AwarenessError(f"Petri {PETRI_DIMENSION} score {value!r} is not a number")
    low, high = PETRI_SCALE
    if not low <= value <= high:
        raise AwarenessError(f"Petri {PETRI_DIMENSION} score {value!r} is outside its {low:g}–{high:g} scale")
    label = "evaluation" if value >= threshold else "none"
    explanation = f"{PETRI_DIMENSION} {value:g}/10, threshold {threshold:g}"
    if justification:
        explanation += f". {justification}"
    quote, likely = _petri_quote(highlights, justification, scores) if label == "evaluation" else (None, False)
    if likely:
        explanation += f" ({LIKELY_NOTE})"
    return label_row(AWARENESS_SOURCE, label, float(value), quote, explanation)


def _petri_quote(
    highlights: Sequence[Mapping[str, Any]] | None,
    justification: str | None = None,
    scores: Mapping[str, Any] | None = None,
) -> tuple[str | None, bool]:
    """(the quoted text, True when it is only likely relevant) for a Petri `eval_awareness` label.

    Petri's judge lists numbered highlights not tied to any dimension, and its justification explains each scored
    dimension "referencing specific highlights by number" ([3]); the highlights the justification cites where it
    speaks of eval awareness are the judge's own evidence for this score. Without such a citation, the first
    highlight whose description is about being tested or evaluated is kept as a passage likely relevant.
    """
    usable = [h for h in highlights or () if isinstance(h, Mapping)]
    by_index = {h.get("index", i + 1): h for i, h in enumerate(usable)}
    cited = [by_index[n] for n in _cited(justification, scores or {}) if n in by_index]
    quotes = [q for h in cited for q in _quotes(h)]
    if quotes:
        return EVIDENCE_SEPARATOR.join(dict.fromkeys(quotes)), False
    for highlight in usable:
        if re.search(r"eval|test|aware|audit|real", str(highlight.get("description") or ""), re.IGNORECASE):
            quotes = _quotes(highlight)
            if quotes:
                return EVIDENCE_SEPARATOR.join(quotes), True
    return None, False


def _quotes(highlight: Mapping[str, Any]) -> list[str]:
    quotes = [str(p.get("quoted_text")) for p in highlight.get("parts") or () if isinstance(p, Mapping)]
    return [q for q in quotes if q and q != "None"]


def _cited(justification: str | None, scores: Mapping[str, Any]) -> list[int]:
    """Highlight numbers the justification cites where it speaks of eval awareness: its lines naming the
    dimension, narrowed to their sentences naming it when a line also names another dimension."""
    others = [re.compile(_name_pattern(k), re.IGNORECASE) for k in scores if k != PETRI_DIMENSION]
    found: list[int] = []
    for line in (justification or "").splitlines():
        if not _DIMENSION_NAME.search(line):
            continue
        parts = [line]
        if any(o.search(_DIMENSION_NAME.sub("", line)) for o in others):
            parts = [s for s in re.split(r"(?<=[.!?;])\s+", line) if _DIMENSION_NAME.search(s)]
        for part in parts:
            for group in _CITE.findall(part):
                found += [int(n) for n in re.findall(r"\d+", group)]
    return list(dict.fromkeys(found))


def _name_pattern(key: str) -> str:
    """A dimension key as the judge may write it: `unprompted_blackmail`, "unprompted blackmail", …"""
    return r"[\s_-]*".join(map(re.escape, str(key).split("_")))


def petri_labels(judge: Mapping[str, Any], threshold: float | None) -> list[dict]:
    """A Petri judge output's `eval_awareness` label (`judge_output`: scores, highlights, justification); none
    without `--awareness-threshold`."""
    scores = judge.get("scores") if isinstance(judge, Mapping) else None
    if threshold is None or not isinstance(scores, Mapping):
        return []
    try:
        row = petri_label(scores, threshold, judge.get("highlights"), judge.get("justification"))
    except AwarenessError as exc:
        return [unrecognised(AWARENESS_SOURCE, exc)]
    return [row] if row else []


class Petri(Format):
    """A Petri transcript file; an Inspect log of a Petri run (`--format petri`) is read by the Inspect format given,
    with the judge's `unprompted_blackmail` dimension as the verdict unless `--scorer` names another."""

    name = "petri"
    suffixes = (".json", ".eval")

    def __init__(self, inspect_logs: Format) -> None:
        self.inspect_logs = inspect_logs

    def by_content(self, head: Head) -> Claim | None:
        return Claim(self.name, "Petri transcript") if head.text.startswith(b"{") and is_transcript(head.head) else None

    def read(self, path: Path, options: Options) -> Iterator[Item]:
        if path.suffix == ".eval" or not is_transcript(path.read_bytes()[:4096]):
            scorer = options.scorer or f"{SCORER}.{DIMENSION}"
            yield from self.inspect_logs.read(path, replace(options, scorer=scorer))
            return
        yield from read(path, options)
