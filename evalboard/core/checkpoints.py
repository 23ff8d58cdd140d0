"""Checkpoint labels, one rule (docs/ARCHITECTURE.md, "Checkpoint labels"): the URL form of a training checkpoint
("rl@1000", or "sft" for a one-checkpoint stage) and its reading form ("RL step 1,000", "SFT", `fmt.checkpoint`).

Domain code (Compare's pickers and URL keys, Readiness's candidates) and the charts both label checkpoints this
way, so it lives below both (docs/ARCHITECTURE.md, "Rooms").
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from evalboard.core import fmt


def checkpoint_labels(points: pl.DataFrame) -> pl.DataFrame:
    """Add `checkpoint` (the URL form: the stage name, or `stage@step` for stages with several checkpoints) and
    `checkpoint_name` (the reading form of the same checkpoint, for headlines, ticks, legends and buttons)."""
    steps = points.group_by("training_stage").agg(pl.col("stage_step").n_unique().alias("_steps"))
    labelled = points.join(steps, on="training_stage").with_columns(
        checkpoint=pl.when(pl.col("_steps") > 1)
        .then(pl.format("{}@{}", "training_stage", "stage_step"))
        .otherwise(pl.col("training_stage"))
    )
    several = set(labelled.filter(pl.col("_steps") > 1).get_column("training_stage").to_list())
    return labelled.with_columns(checkpoint_name=names(labelled, several)).drop("_steps")


def names(frame: pl.DataFrame, several: Collection[str]) -> pl.Series:
    """The reading form of each row's checkpoint (`training_stage`, `stage_step`), the step shown for the stages in
    `several` (those with more than one checkpoint in the dataset)."""
    pairs = frame.select("training_stage", "stage_step").iter_rows()
    return pl.Series("checkpoint_name", [fmt.checkpoint(s, t, s in several) for s, t in pairs], dtype=pl.String)


def url_label(stage: str, step: int, several: bool) -> str:
    """One checkpoint's URL form, the rule of `checkpoint_labels`: 'rl@1000', or 'sft' when the stage has one."""
    return f"{stage}@{step}" if several else stage


def several_steps(stage_steps: pl.DataFrame) -> set[str]:
    """The stages with more than one checkpoint among `stage_steps` (training_stage, stage_step rows): their URL
    labels carry the step."""
    counts = stage_steps.group_by("training_stage").agg(pl.col("stage_step").n_unique().alias("n"))
    return set(counts.filter(pl.col("n") > 1).get_column("training_stage").to_list())
