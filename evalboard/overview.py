"""The Overview's decisions that are not charts: notes about how the numbers are weighted. Pure functions."""

from __future__ import annotations

import polars as pl

HEAVY_CHECKPOINT = 2.0  # a checkpoint with more than this many times an intervention's median n is called out


def heavy_checkpoints(by_stage: pl.DataFrame) -> str | None:
    """A sentence naming interventions whose samples crowd into one checkpoint (e.g. a release evaluation at the
    final one), since the pooled bar per intervention then leans toward that checkpoint's rate; None otherwise.

    `by_stage` has one row per intervention × checkpoint with its graded count `n` (queries/rate_by_stage.sql).
    """
    parts = []
    for (intervention,), rows in by_stage.sort("intervention").group_by(["intervention"], maintain_order=True):
        if rows.height < 3:
            continue
        median = float(rows.get_column("n").median() or 0)
        total = int(rows.get_column("n").sum())
        for row in rows.iter_rows(named=True):
            if median and row["n"] > HEAVY_CHECKPOINT * median:
                parts.append(
                    f"{intervention} at {row['training_stage']}@{row['stage_step']} "
                    f"({row['n']:,} of its {total:,} graded samples)"
                )
    if not parts:
        return None
    return (
        "Some interventions have far more samples at one checkpoint (e.g. a release evaluation at the final one): "
        + "; ".join(parts)
        + ". Their bars lean toward that checkpoint's rate; the chart across training shows each checkpoint apart."
    )
