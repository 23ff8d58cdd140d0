"""Run labels: `--set key=value`, a runs manifest (TOML/CSV), `--map col=path`, and the visible defaults.

Precedence, strongest first: `--set`, `--map`, the runs manifest, what the source itself records
(eval-level metadata, the model name), then defaults (`unlabelled`, stage_step 0). Nothing is guessed.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalboard.ingest.records import lookup

UNLABELLED = "unlabelled"
LABEL_COLUMNS = ("snapshot", "intervention", "training_stage", "stage_step")
# Columns `--set` / `--map` may fill; anything else must be spelled `conditions.<key>`.
SETTABLE = (*LABEL_COLUMNS, "run_id", "scenario_family", "scenario", "grader", "epoch")
INT_COLUMNS = ("stage_step", "epoch")
DEFAULTS: dict[str, Any] = {
    "intervention": UNLABELLED,
    "training_stage": UNLABELLED,
    "stage_step": 0,
    "scenario_family": UNLABELLED,
}
MANIFEST_KEYS = ("run_id", "model", "match")


class LabelError(ValueError):
    """A bad `--set`, `--map` or manifest (exit code 2)."""


def _typed(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in INT_COLUMNS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise LabelError(f"{column} must be an integer, got {value!r}") from None
    return str(value)


def _check_column(column: str) -> None:
    if column not in SETTABLE and not column.startswith("conditions."):
        raise LabelError(f"unknown column '{column}' (use one of {', '.join(SETTABLE)} or conditions.<key>)")


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    """`k=v` strings to a dict, with the column name checked."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise LabelError(f"{what} expects key=value, got {pair!r}")
        _check_column(key)
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


def _assign(row: dict[str, Any], column: str, value: Any) -> None:
    if column.startswith("conditions."):
        conds = dict(row.get("conditions") or {})
        conds[column.removeprefix("conditions.")] = str(value)
        row["conditions"] = conds
    else:
        row[column] = _typed(column, value)


@dataclass
class Labeler:
    """Applies labels to a parsed row in the documented precedence."""

    sets: dict[str, str] = field(default_factory=dict)
    maps: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for column, value in self.sets.items():
            if not column.startswith("conditions."):
                _typed(column, value)  # fail early (exit 2) on e.g. stage_step=abc

    def apply(self, row: dict[str, Any], ctx: Mapping[str, Any] | None, keys: Sequence[str]) -> dict[str, Any]:
        """Return `row` with manifest, maps, sets and defaults applied (mutates and returns it)."""
        for key in keys:
            if key and key in self.manifest:
                for column, value in self.manifest[key].items():
                    _assign(row, column, value)
                break
        if ctx is not None:
            for column, path in self.maps.items():
                value = lookup(ctx, path)
                if value is not None:
                    _assign(row, column, value)
        for column, value in self.sets.items():
            _assign(row, column, value)
        for column, default in DEFAULTS.items():
            if row.get(column) in (None, ""):
                row[column] = default
        return row
