"""The Overview's questions besides the rates (`metrics.rates`) and its decisions that are not charts: notes about
how the numbers are weighted."""

from __future__ import annotations

import polars as pl

from evalboard.core.checkpoints import checkpoint_labels
from evalboard.core.urls import OVERVIEW_KEYS
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import awareness

# The Overview's own URL keys: the eval-awareness split, corrected rates (docs/ARCHITECTURE.md, "The URL contract").
URL_KEYS = OVERVIEW_KEYS

HEAVY_CHECKPOINT = 2.0  # a checkpoint with more than this many times an intervention's median n is called out
STAGE_KEYS = ["intervention", "training_stage", "stage_step", "stage_rank"]


def awareness_by_intervention(store: Store, view: View, source: str) -> pl.DataFrame:
    """n, k per intervention × eval-awareness class under labeller `source`, every class present
    (`awareness_by_intervention.sql`, `awareness.complete`)."""
    params = view.params() | {"awareness_source": source}
    return awareness.complete(store.run("awareness_by_intervention", params), ["intervention"])


def awareness_by_stage(store: Store, view: View, source: str) -> pl.DataFrame:
    """n, k per intervention × checkpoint × eval-awareness class under labeller `source`, every class present
    (`awareness_by_stage.sql`, `awareness.complete`)."""
    params = view.params() | {"awareness_source": source}
    return awareness.complete(store.run("awareness_by_stage", params), STAGE_KEYS)


def heavy_checkpoints(by_stage: pl.DataFrame) -> str | None:
    """A sentence naming interventions whose samples crowd into one checkpoint (e.g. a release evaluation at the
    final one), since the pooled bar per intervention then leans toward that checkpoint's rate; None otherwise.

    `by_stage` has one row per intervention × checkpoint with its graded count `n` (queries/rate_by_stage.sql).
    """
    parts = []
    by_stage = checkpoint_labels(by_stage) if by_stage.height else by_stage.with_columns(checkpoint_name=pl.lit(""))
    for (intervention,), rows in by_stage.sort("intervention").group_by(["intervention"], maintain_order=True):
        if rows.height < 3:
            continue
        median = float(rows.get_column("n").median() or 0)
        total = int(rows.get_column("n").sum())
        for row in rows.iter_rows(named=True):
            if median and row["n"] > HEAVY_CHECKPOINT * median:
                parts.append(
                    f"{intervention} at {row['checkpoint_name']} ({row['n']:,} of its {total:,} graded samples)"
                )
    if not parts:
        return None
    return (
        "Some interventions have far more samples at one checkpoint (e.g. a release evaluation at the final one): "
        + "; ".join(parts)
        + ". Their bars lean toward that checkpoint's rate; the chart across training shows each checkpoint apart."
    )


def no_rates_message(filtered: bool, ungraded: int) -> str:
    """What to say when the view has no graded sample, true to why: nothing matches the filters, or what matches
    (or the whole dataset) has no verdict yet — where clearing a filter would not help."""
    noun = "transcript is" if ungraded == 1 else "transcripts are"
    if ungraded and not filtered:
        every = "the only" if ungraded == 1 else f"all {ungraded:,}"
        return f"{every.capitalize()} {noun} ungraded; rates need verdicts — see Data health."
    if ungraded:
        every = "the only one" if ungraded == 1 else f"all {ungraded:,}"
        return (
            f"No graded samples match these filters: {every} that match are ungraded; rates need verdicts — see "
            "Data health, or widen the filters in the sidebar."
        )
    if filtered:
        return "No samples match these filters. Clear a filter in the sidebar to see more."
    return "The dataset holds no samples yet."


def newest_snapshot_note(selected: tuple[str, ...], snapshots: list[str]) -> str | None:
    """'Showing snapshot X, the newest of 4' when the view is exactly the newest snapshot (`snapshots` oldest
    first), else None."""
    if len(snapshots) < 2 or selected != (snapshots[-1],):
        return None
    return f"Showing snapshot {snapshots[-1]}, the newest of {len(snapshots)}"


def empty_sides_message(sides: list[str], filtered: bool) -> str:
    """Compare's note when a side has no graded sample: blame the family/grader filters only when one is set."""
    who, has, its = " and ".join(sides), "have" if len(sides) > 1 else "has", "their" if len(sides) > 1 else "its"
    if filtered:
        return (
            f"{who} {has} no graded samples in the selected families and graders. Clear a sidebar filter or pick "
            "another run."
        )
    return (
        f"{who} {has} no graded samples: {its} transcripts have no verdict yet; rates need verdicts — see Data health."
    )
