"""Checkpoint labels: the URL form of a training checkpoint ("rl@1000", or "sft" for a one-checkpoint stage).

Domain code (Compare's pickers and URL keys) and the charts both label checkpoints this way, so it lives below
both (docs/ARCHITECTURE.md, "Rooms").
"""

from __future__ import annotations

import polars as pl


def checkpoint_labels(points: pl.DataFrame) -> pl.DataFrame:
    """Add `checkpoint`: the stage name, or `stage@step` for stages with several checkpoints."""
    steps = points.group_by("training_stage").agg(pl.col("stage_step").n_unique().alias("_steps"))
    return (
        points.join(steps, on="training_stage")
        .with_columns(
            checkpoint=pl.when(pl.col("_steps") > 1)
            .then(pl.format("{}@{}", "training_stage", "stage_step"))
            .otherwise(pl.col("training_stage"))
        )
        .drop("_steps")
    )
