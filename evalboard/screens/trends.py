"""Does the gain last? Each intervention's trend through RL and its gain on held-out against trained families
(docs/ARCHITECTURE.md, "Trends and held-out families"), for the Overview (each intervention against baseline) and
Compare (B against A). Counts from queries/training_counts.sql or compare_cells.sql; statistics from stats.py.
No Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from evalboard.core.fmt import csv_text
from evalboard.core.memo import reused
from evalboard.core.stats import (
    SIGNIFICANCE_RULE,
    Call,
    GainGap,
    Tested,
    Trend,
    format_points,
    format_trend,
    gain_gap,
    holm,
    logistic_trend,
    trend_difference,
)
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens.compare.result import BASELINE, Options, Side

TREND_STAGE = "rl"  # the trend follows the checkpoints of this training stage
CELL = ("snapshot", "training_stage", "stage_step")  # where an intervention meets baseline


def training_counts(store: Store, view: View) -> pl.DataFrame:
    """Counts per snapshot × intervention × checkpoint × family in the view (queries/training_counts.sql)."""
    return store.run("training_counts", view.params())


def _trend_rows(frame: pl.DataFrame) -> list[tuple[str, int, int, int]]:
    """(snapshot, step, k, n) of a run's RL checkpoints, families pooled: one intercept per snapshot."""
    rl = frame.filter(pl.col("training_stage") == TREND_STAGE)
    pooled = (
        rl.group_by("snapshot", "stage_step").agg(pl.col("k").sum(), pl.col("n").sum()).sort("snapshot", "stage_step")
    )
    return [(r["snapshot"], r["stage_step"], r["k"], r["n"]) for r in pooled.iter_rows(named=True)]


@dataclass(frozen=True)
class RunTrend:
    """One intervention's trend through RL, its p-value Holm-adjusted across the interventions shown together."""

    intervention: str
    trend: Trend | None
    p_holm: float | None = None
    below_baseline: bool = False  # its RL rate (pooled) is below baseline's at the same checkpoints: a gain to keep

    @property
    def call(self) -> Call:
        return Call.UNTESTED if self.trend is None else self.trend.call_with(self.p_holm)


def _below_baseline(frame: pl.DataFrame, intervention: str, baseline: str) -> bool:
    """Whether the intervention's RL rate is below baseline's, both pooled over the RL checkpoints both reached."""
    rl = frame.filter(pl.col("training_stage") == TREND_STAGE)
    mine, base = rl.filter(pl.col("intervention") == intervention), rl.filter(pl.col("intervention") == baseline)
    cells = mine.select(CELL).unique().join(base.select(CELL).unique(), on=list(CELL))
    (k, n), (kb, nb) = (
        (int(f["k"].sum()), int(f["n"].sum())) for f in (m.join(cells, on=list(CELL)) for m in (mine, base))
    )
    return intervention != baseline and n > 0 and nb > 0 and k / n < kb / nb


def trends(frame: pl.DataFrame, baseline: str = BASELINE) -> list[RunTrend]:
    """Per intervention of `frame` (training_counts), its trend through RL (Holm across interventions)."""
    out = [
        RunTrend(
            iv,
            logistic_trend(_trend_rows(frame.filter(pl.col("intervention") == iv))),
            below_baseline=_below_baseline(frame, iv, baseline),
        )
        for iv in sorted(set(frame.get_column("intervention").to_list()))
    ]
    tested = [i for i, r in enumerate(out) if r.trend is not None]
    adjusted = holm([out[i].trend.p for i in tested])  # type: ignore[union-attr]
    for i, p in zip(tested, adjusted, strict=True):
        out[i] = replace(out[i], p_holm=p)
    return out


def trend_sentence(run: RunTrend) -> str:
    """'safe_demos stays low through RL: +0.2 pts per 1,000 steps [−0.4, +0.8]' (below baseline, no significant
    trend), 'deliberation_rewrites drifts back up through RL: …', 'baseline drifts up …', '… stays level …'."""
    t = run.trend
    if t is None:
        return f"{run.intervention}: fewer than two RL checkpoints with graded samples, so no trend."
    change = format_trend(t.slope, t.lo, t.hi)
    up, level = ("drifts back up", "stays low") if run.below_baseline else ("drifts up", "stays level")
    return {
        Call.HIGHER: f"{run.intervention} {up} through RL: {change}.",
        Call.LOWER: f"{run.intervention} keeps falling through RL: {change}.",
        Call.NO_CHANGE: f"{run.intervention} {level} through RL: {change}.",
        Call.INCONCLUSIVE: f"{run.intervention}: inconclusive through RL (test and interval disagree): {change}.",
    }[run.call]


TREND_NOTE = (
    "Change in the rate per 1,000 RL steps from a logistic model of the verdict on the step (one intercept per "
    "snapshot; average marginal effect with its 95% delta-method interval; likelihood-ratio test, Holm across the "
    "interventions shown)."
)


# -- held-out families ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOut:
    """An intervention (B) against baseline (A) on held-out and on trained families, at the checkpoints both reached;
    the gap's p Holm-adjusted across the interventions shown together."""

    intervention: str
    gap: GainGap
    p_holm: float | None = None

    @property
    def call(self) -> Call:
        return self.gap.call_with(self.p_holm)


def _sums(frame: pl.DataFrame, held_out: Sequence[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(k, n) on held-out families, then on trained ones."""
    held = frame.filter(pl.col("scenario_family").is_in(list(held_out)))
    trained = frame.filter(~pl.col("scenario_family").is_in(list(held_out)))
    return (int(held["k"].sum()), int(held["n"].sum())), (int(trained["k"].sum()), int(trained["n"].sum()))


def in_view(frame: pl.DataFrame, held_out: Sequence[str]) -> bool:
    """Whether the view holds graded samples of both held-out and trained families."""
    families = set(frame.filter(pl.col("n") > 0).get_column("scenario_family").to_list())
    return bool(families & set(held_out)) and bool(families - set(held_out))


def held_out_gains(frame: pl.DataFrame, held_out: Sequence[str], baseline: str = BASELINE) -> list[HeldOut]:
    """Per intervention but baseline: its gain against baseline on held-out and on trained families, pooled over
    the snapshots and checkpoints where both have samples (`frame`: training_counts)."""
    frame = frame.filter(pl.col("n") > 0)
    base = frame.filter(pl.col("intervention") == baseline)
    if base.is_empty() or not in_view(frame, held_out):
        return []
    out = []
    for iv in sorted(set(frame.get_column("intervention").to_list()) - {baseline}):
        mine = frame.filter(pl.col("intervention") == iv)
        cells = mine.select(CELL).unique().join(base.select(CELL).unique(), on=list(CELL))
        if cells.is_empty():
            continue
        b_held, b_trained = _sums(base.join(cells, on=list(CELL)), held_out)
        i_held, i_trained = _sums(mine.join(cells, on=list(CELL)), held_out)
        out.append(HeldOut(iv, gain_gap(b_held, i_held, b_trained, i_trained)))
    tested = [i for i, h in enumerate(out) if h.gap.p is not None]
    for i, p in zip(tested, holm([out[i].gap.p for i in tested]), strict=True):  # type: ignore[misc]
        out[i] = HeldOut(out[i].intervention, out[i].gap, p)
    return out


def _points(diff: float | None, lo: float | None, hi: float | None) -> str:
    return "no samples" if diff is None or lo is None or hi is None else format_points(diff, lo, hi)


def gap_sentence(subject: str, gap: GainGap, call: Call, held_out: Sequence[str], against: str = BASELINE) -> str:
    """'deliberation_rewrites against baseline: −8.0 pts [..] on held-out families (sabotage), −50.1 pts [..] on
    trained families; the gain is smaller where it never trained: +42.1 pts [..].'"""
    h, t = gap.held_out, gap.trained
    families = ", ".join(held_out)
    text = (
        f"{subject} against {against}: {_points(h.diff, h.diff_lo, h.diff_hi)} on held-out families ({families}), "
        f"{_points(t.diff, t.diff_lo, t.diff_hi)} on trained families"
    )
    if gap.diff is None:
        return text + "; one side has no samples, so no difference."
    difference = _points(gap.diff, gap.lo, gap.hi)
    return (
        text
        + {
            Call.HIGHER: f"; the gain is significantly smaller on held-out families: {difference} — it does not fully "
            "carry to what it never saw.",
            Call.LOWER: f"; the gain is significantly larger on held-out families: {difference}.",
            Call.NO_CHANGE: f"; no significant difference between them: {difference} — the gain carries.",
            Call.INCONCLUSIVE: f"; inconclusive whether it differs (the test and the interval disagree): {difference}.",
            Call.UNTESTED: ".",
        }[call]
    )


HELD_OUT_NOTE = (
    "Gain = intervention − baseline at the checkpoints both reached (95% Newcombe intervals); their difference, "
    "held-out − trained, has a 95% MOVER interval and a Wald test, Holm across the interventions shown. "
)


def to_csv(
    runs: Sequence[RunTrend],
    gaps: Sequence[HeldOut],
    filter_params: Mapping[str, Sequence[str]],
    dataset: str = "",
) -> str:
    """The trends and the held-out gains as CSV (`table` says which)."""
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in filter_params.items() if v) or "none"
    header = ["table", "intervention", "estimate", "lo", "hi", "p", "p_holm", "call", "held_out_gain", "held_out_lo",
              "held_out_hi", "trained_gain", "trained_lo", "trained_hi"]  # fmt: skip
    rows: list[list[object]] = []
    for r in runs:
        t = r.trend
        numbers = (t.slope, t.lo, t.hi, t.p, r.p_holm) if t else ("", "", "", "", "")
        rows.append(["trend_per_1000_steps", r.intervention, *numbers, r.call.value, "", "", "", "", "", ""])
    for g in gaps:
        h, t2 = g.gap.held_out, g.gap.trained
        rows.append(["held_out_minus_trained_gain", g.intervention, g.gap.diff, g.gap.lo, g.gap.hi, g.gap.p, g.p_holm,
                     g.call.value, h.diff, h.diff_lo, h.diff_hi, t2.diff, t2.diff_lo, t2.diff_hi])  # fmt: skip
    comments = [f"dataset: {dataset}", f"filters: {filters}", TREND_NOTE, HELD_OUT_NOTE, SIGNIFICANCE_RULE]
    return csv_text(header, rows, comments=comments)


# -- Compare: B − A ------------------------------------------------------------------------------------------------


def _run(cells: pl.DataFrame, side: Side) -> pl.DataFrame:
    return cells.filter((pl.col("snapshot") == side.snapshot) & (pl.col("intervention") == side.intervention))


@dataclass(frozen=True)
class GapTrend(Tested):
    """How B − A changes through RL: B's trend minus A's, each from its own run's RL checkpoints; its `call` is the
    one rule's (`stats.Tested`)."""

    a: Trend | None
    b: Trend | None
    diff: float | None
    lo: float | None
    hi: float | None
    p: float | None


@reused()  # a rerun or another visitor of the same comparison: the two logistic fits again (callers must not mutate)
def compare_trend(cells: pl.DataFrame, a: Side, b: Side) -> GapTrend:
    """B − A's change per 1,000 RL steps (`cells`: compare_cells)."""
    ta, tb = logistic_trend(_trend_rows(_run(cells, a))), logistic_trend(_trend_rows(_run(cells, b)))
    if ta is None or tb is None:
        return GapTrend(ta, tb, None, None, None, None)
    return GapTrend(ta, tb, *trend_difference(ta, tb))


def compare_trend_sentence(gap: GapTrend) -> str:
    """'Through RL, B − A changes by +0.2 pts per 1,000 steps [−0.4, +0.8]: no significant change in the gap (A: …;
    B: …).'"""
    if gap.a is None or gap.b is None:
        return "Through RL: A or B has fewer than two RL checkpoints with graded samples, so there is no trend."
    assert gap.diff is not None and gap.lo is not None and gap.hi is not None
    change = format_trend(gap.diff, gap.lo, gap.hi)
    sides = f"A: {format_trend(gap.a.slope, gap.a.lo, gap.a.hi)}; B: {format_trend(gap.b.slope, gap.b.lo, gap.b.hi)}"
    words = {
        Call.HIGHER: "B − A rises through RL (B loses ground to A)",
        Call.LOWER: "B − A falls through RL (B gains on A)",
        Call.NO_CHANGE: "no significant change in the gap",
        Call.INCONCLUSIVE: "inconclusive (the test and the interval disagree)",
        Call.UNTESTED: "no test",
    }[gap.call]
    return f"Through RL, B − A changes by {change}: {words} ({sides}; z-test of the two logistic trends)."


@reused()
def compare_held_out(
    cells: pl.DataFrame, a: Side, b: Side, options: Options, held_out: Sequence[str]
) -> GainGap | None:
    """B − A on held-out families against B − A on trained ones, each side at its own checkpoint; None unless the
    families in view include both kinds."""
    sides = []
    for side in (a, b):
        ck = options.checkpoint(side.checkpoint)
        if ck is None:
            return None
        run = _run(cells, side).filter((pl.col("training_stage") == ck.stage) & (pl.col("stage_step") == ck.step))
        sides.append(run)
    if not (in_view(sides[0], held_out) and in_view(sides[1], held_out)):
        return None
    (a_held, a_trained), (b_held, b_trained) = _sums(sides[0], held_out), _sums(sides[1], held_out)
    return gain_gap(a_held, b_held, a_trained, b_trained)


def compare_csv(
    a: Side,
    b: Side,
    gap: GapTrend,
    held_out_gap: GainGap | None,
    filter_params: Mapping[str, Sequence[str]],
    dataset: str = "",
) -> str:
    """Compare's B − A trend through RL (each side's and their difference) and, when in view, its held-out gap."""
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in filter_params.items() if v) or "none"
    header = ["measure", "estimate", "lo", "hi", "p", "call"]
    rows: list[list[object]] = []
    for name, t in (("trend_per_1000_steps_A", gap.a), ("trend_per_1000_steps_B", gap.b)):
        rows.append([name, *((t.slope, t.lo, t.hi, t.p) if t else ("", "", "", "")), ""])
    rows.append(["trend_per_1000_steps_B_minus_A", gap.diff, gap.lo, gap.hi, gap.p, gap.call.value])
    if held_out_gap is not None:
        h, t2 = held_out_gap.held_out, held_out_gap.trained
        rows.append(["B_minus_A_held_out", h.diff, h.diff_lo, h.diff_hi, h.p_value, h.call.value])
        rows.append(["B_minus_A_trained", t2.diff, t2.diff_lo, t2.diff_hi, t2.p_value, t2.call.value])
        g = held_out_gap
        rows.append(["held_out_minus_trained", g.diff, g.lo, g.hi, g.p, g.call.value])
    comments = [
        f"dataset: {dataset}",
        f"A: {a.snapshot} · {a.intervention} · {a.checkpoint}",
        f"B: {b.snapshot} · {b.intervention} · {b.checkpoint}",
        f"filters: {filters}",
        TREND_NOTE.replace("Holm across the interventions shown", "B's trend minus A's with a z-test"),
        SIGNIFICANCE_RULE,
    ]
    return csv_text(header, rows, comments=comments)
