"""Every verdict source an eval log holds, as rows of the `verdicts` table (pure functions, plus one writer).

The importer's chosen verdict stays the primary one (`samples.harmful`); these functions keep the rest, so no
grader an eval tool recorded is dropped: agentic-misalignment's raw classifier verdict next to its final rule
(and a `classification_v2`), every other Inspect scorer on a sample, and each Petri judge dimension as a score.
A value that cannot become a verdict is kept with `harmful` NULL and its score, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import VERDICTS
from evalboard.ingest.records import VerdictError, timestamp_or_none, verdict

FOLDER = "verdicts"
AM_RAW = "classifier_raw"  # agentic-misalignment's judge yes/no before the final rule (needed emails, keywords)
RESERVED = ("primary", "human")  # source names the app gives a meaning of its own


def _row(sample_id: str, source: str, harmful: bool | None, **rest: Any) -> dict[str, Any]:
    if source in RESERVED:
        source = f"imported:{source}"  # never shadow the primary verdict or human reviews
    return {"sample_id": sample_id, "source": source, "harmful": harmful, "score": None, "explanation": None,
            "grader": None, "created_at": None} | rest  # fmt: skip


def agentic_misalignment(sample_id: str, response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Verdict rows from an agentic-misalignment `response.json` object.

    `classification.harmful_behavior` is the primary verdict (imported into samples); kept here: its
    `classifier_verdict` as source `classifier_raw`, and when `classification_v2` exists its final verdict as
    `classification_v2` and its raw one as `classifier_raw_v2`.
    """
    rows = []
    for field, suffix in (("classification", ""), ("classification_v2", "_v2")):
        cls = response.get(field)
        if not isinstance(cls, Mapping) or "error" in cls:
            continue
        common = {
            "grader": cls.get("classifier_model"),
            "explanation": cls.get("classifier_reasoning"),
            "created_at": timestamp_or_none(cls.get("classified_at")),
        }
        raw = cls.get("classifier_verdict")
        if isinstance(raw, bool):
            rows.append(_row(sample_id, AM_RAW + suffix, raw, **common))
        final = cls.get("harmful_behavior")
        if suffix and isinstance(final, bool):
            rows.append(_row(sample_id, "classification_v2", final, **common))
    return rows


def inspect_scores(
    sample_id: str,
    scores: Mapping[str, Mapping[str, Any]],
    primary: tuple[str | None, str | None] | None = None,
    threshold: float | None = None,
) -> list[dict[str, Any]]:
    """Verdict rows for every Inspect score on a sample but the primary one (`(scorer, dict key)`).

    A scorer's value becomes source `inspect:<scorer>`; a dict value gives one source per key,
    `inspect:<scorer>.<key>`. C/I, 1/0, true/false and yes/no become verdicts, a number `>= threshold` when one
    is given (Petri's 1–10 dimensions); other numbers are kept as the score with no verdict; anything else is
    kept as no verdict.
    """
    rows = []
    for name, score in sorted(scores.items()):
        value = score.get("value")
        items = sorted(value.items()) if isinstance(value, Mapping) else [(None, value)]
        for key, item in items:
            if primary is not None and (name, key) == primary:
                continue
            harmful, number = _as_verdict(item, threshold)
            source = f"inspect:{name}" + (f".{key}" if key is not None else "")
            rows.append(_row(sample_id, source, harmful, score=number, explanation=score.get("explanation")))
    return rows


def _as_verdict(value: Any, threshold: float | None = None) -> tuple[bool | None, float | None]:
    try:
        return verdict(value, None, threshold)
    except VerdictError:
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        return None, number


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
            rows.append(_row(sample_id, f"petri:{dimension}", None, explanation=explanation))
            continue
        harmful = None if threshold is None else float(value) >= threshold
        rows.append(_row(sample_id, f"petri:{dimension}", harmful, score=float(value), explanation=explanation))
    return rows


def write(out: Path | str, rows: Iterable[Mapping[str, Any]], name: str) -> Path | None:
    """Write the rows as `out/verdicts/<name>.parquet` (sorted by sample and source); None when there are none."""
    table = sorted(rows, key=lambda r: (r["sample_id"], r["source"]))
    if not table:
        return None
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    temp = folder / f".{name}.parquet.tmp"
    pq.write_table(pa.Table.from_pylist(table, schema=VERDICTS), temp, compression="zstd")
    temp.replace(path)
    return path
