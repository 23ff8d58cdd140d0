"""Run labels: `--set key=value`, a runs manifest (TOML/CSV), `--map col=path`, and the visible defaults.

Precedence, strongest first: `--set`, `--map`, the runs manifest, what the source itself records
(eval-level metadata, the model name), then defaults (`unlabelled`, stage_step 0). Nothing is guessed.

`--set`/`--map` reach every canonical samples column and, with `--map`, the transcript: `messages`
(a list of messages), or `system`, `prompt`, `response` and `reasoning` fields, which become a system
message, a user message and one assistant message whose `content` is the response and whose `reasoning`
is the reasoning. A mapped verdict (`harmful`, `classifier_verdict`) that is present but null is ungraded;
an absent one leaves the record without a verdict.
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalboard.core.schema import SAMPLES
from evalboard.ingest.formats.jsonl import normalise_messages
from evalboard.ingest.records import MISSING, VerdictError, lookup, message, timestamp, verdict

UNLABELLED = "unlabelled"
LABEL_COLUMNS = ("snapshot", "intervention", "training_stage", "stage_step")
TRANSCRIPT_FIELDS = ("messages", "system", "prompt", "response", "reasoning")  # `--map` only
# Columns `--set` / `--map` may fill; anything else must be spelled `conditions.<key>`.
SETTABLE = tuple(n for n in SAMPLES.names if n != "conditions")
INT_COLUMNS = ("stage_step", "epoch")
BOOL_COLUMNS = ("harmful", "classifier_verdict")
NULL_TOKENS = ("", "null", "none")
DEFAULTS: dict[str, Any] = {
    "intervention": UNLABELLED,
    "training_stage": UNLABELLED,
    "stage_step": 0,
    "scenario_family": UNLABELLED,
}
MANIFEST_KEYS = ("run_id", "model", "match")


class LabelError(ValueError):
    """A bad `--set`, `--map` or manifest (exit code 2)."""


def _typed(column: str, value: Any, harmful_value: str | None = None, threshold: float | None = None) -> Any:
    if value is None:
        return None
    if column in BOOL_COLUMNS:
        if isinstance(value, str) and value.strip().lower() in NULL_TOKENS:
            return None
        try:
            return verdict(value, harmful_value, threshold)[0]
        except VerdictError as exc:
            raise LabelError(f"{column}: {exc}") from None
    if column == "score":
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise LabelError(f"score must be a number, got {value!r}") from None
        if not math.isfinite(number):  # "nan", "inf": no rate or threshold can use it
            raise LabelError(f"score must be a finite number, got {value!r}")
        return number
    if column == "created_at":
        try:
            return timestamp(value)
        except (TypeError, ValueError, OverflowError, OSError):
            raise LabelError(f"created_at must be a timestamp, got {value!r}") from None
    if column in INT_COLUMNS:
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            raise LabelError(f"{column} must be an integer, got {value!r}") from None
    return str(value)


def _check_column(column: str, transcript: bool = False) -> None:
    allowed = (*SETTABLE, *TRANSCRIPT_FIELDS) if transcript else SETTABLE
    if column not in allowed and not column.startswith("conditions."):
        raise LabelError(f"unknown column '{column}' (use one of {', '.join(allowed)} or conditions.<key>)")


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    """`k=v` strings to a dict, with the column name checked (`--map` also takes the transcript fields)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise LabelError(f"{what} expects key=value, got {pair!r}")
        _check_column(key, transcript=what == "--map")
        if what == "--map" and not value.strip():
            raise LabelError(f"--map {key}= needs a field path, e.g. --map {key}=metadata.{key}")
        out[key] = value.strip()
    return out


def load_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """Runs manifest → {run id or model: {label: value}}.

    TOML: `[[runs]]` tables with `run_id` and/or `model` plus labels, or one table per id
    (`["org/model"]` with labels). CSV: a header with `run_id` and/or `model` plus label columns.
    """
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(path.read_text())
            entries = data.get("runs") if isinstance(data.get("runs"), list) else None
            if entries is None:
                tables = data.get("runs") if isinstance(data.get("runs"), dict) else data
                entries = [{"match": k, **v} for k, v in tables.items() if isinstance(v, dict)]
        else:
            with path.open(newline="") as fh:
                entries = list(csv.DictReader(fh))
    except (OSError, tomllib.TOMLDecodeError, csv.Error, UnicodeDecodeError) as exc:
        raise LabelError(f"cannot read runs manifest {path}: {exc}") from None
    manifest: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries, 1):
        ids = [str(entry[k]).strip() for k in MANIFEST_KEYS if entry.get(k) not in (None, "")]
        if not ids:
            raise LabelError(f"runs manifest {path} entry {i} names no run_id or model")
        labels = {}
        for key, value in entry.items():
            if key in MANIFEST_KEYS or value in (None, ""):
                continue
            _check_column(key)
            labels[key] = _typed(key, value)
        for id_ in ids:
            manifest[id_] = labels
    return manifest


def _assign(row: dict[str, Any], column: str, value: Any, hv: str | None = None, th: float | None = None) -> None:
    if column.startswith("conditions."):
        conds = dict(row.get("conditions") or {})
        conds[column.removeprefix("conditions.")] = str(value)
        row["conditions"] = conds
    else:
        row[column] = _typed(column, value, hv, th)


@dataclass
class Labeler:
    """Applies labels to a parsed row in the documented precedence."""

    sets: dict[str, str] = field(default_factory=dict)
    maps: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, dict[str, Any]] = field(default_factory=dict)
    harmful_value: str | None = None  # what a mapped/set verdict value means harmful (as --harmful-value)
    threshold: float | None = None

    # Per `--map` column, how many records with a source record to look in lacked its path (`records`: how many
    # had one): the summary counts them, and a path no record has is a bad argument (exit 2, `pipeline.unmapped`).
    absent: Counter[str] = field(default_factory=Counter)
    records: int = 0

    def __post_init__(self) -> None:
        for column, value in self.sets.items():
            if not column.startswith("conditions."):
                _typed(column, value, self.harmful_value, self.threshold)  # fail early (exit 2): stage_step=abc
        self._transcript = {k: v for k, v in self.maps.items() if k in TRANSCRIPT_FIELDS}
        self._columns = {k: v for k, v in self.maps.items() if k not in TRANSCRIPT_FIELDS}

    def apply(
        self,
        row: dict[str, Any],
        ctx: Mapping[str, Any] | None,
        keys: Sequence[str],
        messages: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]] | None:
        """Apply manifest, maps, sets and defaults to `row` (in place); return the transcript messages (the
        source's, or the ones built from `--map` transcript fields)."""
        hv, th = self.harmful_value, self.threshold
        for key in keys:
            if key and key in self.manifest:
                for column, value in self.manifest[key].items():
                    _assign(row, column, value, hv, th)
                break
        if ctx is not None:
            self.count_absent(ctx)
            for column, path in self._columns.items():
                value = lookup(ctx, path, MISSING)
                if value is None and column in BOOL_COLUMNS:
                    row[column] = None  # present but null: ungraded
                elif value is not None and value is not MISSING:
                    _assign(row, column, value, hv, th)
            if self._transcript:
                messages = self._messages(ctx)
        for column, value in self.sets.items():
            _assign(row, column, value, hv, th)
        for column, default in DEFAULTS.items():
            if row.get(column) in (None, ""):
                row[column] = default
        return messages

    def count_absent(self, ctx: Mapping[str, Any]) -> None:
        """Count one source record, and each `--map` path it lacks."""
        self.records += 1
        for column, path in self.maps.items():
            if lookup(ctx, path, MISSING) is MISSING:
                self.absent[column] += 1

    def _messages(self, ctx: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        fields = {k: lookup(ctx, path) for k, path in self._transcript.items()}
        if "messages" in fields:
            try:
                return normalise_messages(fields["messages"])
            except (TypeError, ValueError) as exc:
                raise LabelError(f"--map messages: {exc}") from None
        text = {k: None if v is None else v if isinstance(v, str) else str(v) for k, v in fields.items()}
        out = []
        if text.get("system") is not None:
            out.append(message("system", text["system"]))
        if text.get("prompt") is not None:
            out.append(message("user", text["prompt"]))
        if text.get("response") is not None or text.get("reasoning") is not None:
            out.append(message("assistant", text.get("response"), reasoning=text.get("reasoning")))
        return out or None
