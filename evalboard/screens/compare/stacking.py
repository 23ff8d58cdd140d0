"""Compare's stacking view: a combined intervention ('x+y') beside its parts alone and baseline, in one
snapshot at one checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from evalboard.core import fmt
from evalboard.core.memo import reused
from evalboard.core.stats import (
    compare,
    with_intervals,
)
from evalboard.screens.compare.result import BASELINE, Checkpoint, Options, Result, Row, Side, ordered
from evalboard.screens.compare.text import change


@dataclass(frozen=True, eq=False)
class Stack:
    """A combined intervention ('x+y'), its parts and baseline in one snapshot at one checkpoint."""

    snapshot: str
    checkpoint: str
    combination: str
    rates: pl.DataFrame  # intervention, n, k, rate, lo, hi — the members the data holds
    missing: tuple[str, ...]
    notes: tuple[str, ...]


def _held_at(cells: pl.DataFrame, snapshot: str, ck: Checkpoint) -> pl.DataFrame:
    here = cells.filter(
        (pl.col("snapshot") == snapshot) & (pl.col("training_stage") == ck.stage) & (pl.col("stage_step") == ck.step)
    )
    per_iv = here.group_by("intervention").agg(pl.col("n").sum(), pl.col("k").sum()).filter(pl.col("n") > 0)
    return with_intervals(per_iv)


@reused()
def stacks(cells: pl.DataFrame, result: Result, options: Options) -> tuple[list[Stack], str]:
    """Stacking views (combination, its parts alone, baseline) in one snapshot at one checkpoint, and a note.

    Prefers B's snapshot, then A's, then the newest; moves on only to find more of the parts run alone.
    """
    order = dict.fromkeys([result.b.snapshot, result.a.snapshot, *reversed(options.snapshots)])
    best: tuple[int, str, Checkpoint, pl.DataFrame] | None = None
    for snapshot in order:
        labels = options.frame.filter(pl.col("snapshot") == snapshot).sort("stage_rank", "stage_step")
        labels = ordered(labels, "checkpoint")
        label = result.b.checkpoint if result.b.checkpoint in labels else labels[-1]
        ck = options.checkpoint(label)
        assert ck is not None
        per_iv = _held_at(cells, snapshot, ck)
        held = set(per_iv.get_column("intervention").to_list())
        combos = [iv for iv in held if "+" in iv]
        if combos:
            score = sum(part in held for combo in combos for part in combo.split("+"))
            if best is None or score > best[0]:
                best = (score, snapshot, ck, per_iv)
    if best is None:
        return [], "No snapshot holds a combined intervention (names joined with '+') in this view."
    _, snapshot, ck, per_iv = best
    held_rows = {r["intervention"]: r for r in per_iv.to_dicts()}
    side = Side(snapshot, "", ck.label)
    found = [_stack(side, combo, held_rows, per_iv, options) for combo in sorted(iv for iv in held_rows if "+" in iv)]
    note = f"In {snapshot} at {fmt.checkpoint_from_label(ck.label)}" + (
        ""
        if snapshot == result.b.snapshot
        else f" (B's snapshot {result.b.snapshot} holds fewer of the parts run alone)"
    )
    return found, note + "."


def _stack(side: Side, combo: str, held: dict[str, dict], per_iv: pl.DataFrame, options: Options) -> Stack:
    parts = combo.split("+")
    members = ([BASELINE] if BASELINE in held else []) + parts + [combo]
    missing = tuple(p for p in parts if p not in held)
    notes = []
    c = held[combo]
    for part in parts:
        if part in held:
            p = held[part]
            row = Row("", False, compare(p["k"], p["n"], c["k"], c["n"]), None, 0, 0)
            notes.append(f"{combo} against {part} alone: {change(row)}; {row.comparison.ratio.describe()}.")
        else:
            elsewhere = [s for s in options.snapshots if part in options.interventions_in(s)]
            also = f" (it was in {', '.join(elsewhere)}; across snapshots the model differs, so it is not shown)"
            notes.append(
                f"{part} alone was not run in {side.snapshot} at {side.checkpoint_name}{also if elsewhere else ''}."
            )
    rates = per_iv.filter(pl.col("intervention").is_in([m for m in members if m in held]))
    return Stack(side.snapshot, side.checkpoint, combo, rates, missing, tuple(notes))
