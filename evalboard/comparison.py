"""The Compare page's logic: side A against side B per scenario family, pooled, through training, stacked.

Pure functions over the frames `queries/compare_*.sql` return; the page only draws what these build. Side A is
the reference: differences are B − A (negative = B lowers the harmful rate), ratios A/B, as in `stats.compare`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import polars as pl

from evalboard import fmt
from evalboard.checkpoints import checkpoint_labels
from evalboard.memo import reused
from evalboard.stats import (
    SIGNIFICANCE_RULE,
    Call,
    Comparison,
    compare,
    format_p,
    format_points,
    format_rate,
    holm,
    holm_adjust,
    mcnemar_p,
    with_intervals,
)
from evalboard.view import PRIMARY, ignored

SIDES = ("a", "b")
FIELDS = ("snapshot", "intervention", "stage")  # URL key suffixes: a_snapshot, a_intervention, a_stage, b_…
URL_KEYS = tuple(f"{side}_{field}" for side in SIDES for field in FIELDS)
POOLED = "all families (pooled)"
BASELINE = "baseline"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a snapshot, an intervention and a checkpoint label ("rl@1000", "sft")."""

    snapshot: str
    intervention: str
    checkpoint: str

    def describe(self) -> str:
        return f"{self.snapshot} · {self.intervention} · {self.checkpoint}"


@dataclass(frozen=True)
class Checkpoint:
    """A training checkpoint: its label, stage, step and rank along training."""

    label: str
    stage: str
    step: int
    rank: int


def _ordered(frame: pl.DataFrame, column: str) -> list[str]:
    return frame.get_column(column).unique(maintain_order=True).to_list()


@dataclass(frozen=True, eq=False)
class Options:
    """What the dataset holds (from `compare_options.sql`), with a `checkpoint` label per row."""

    frame: pl.DataFrame

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> Options:
        return cls(checkpoint_labels(frame) if not frame.is_empty() else frame.with_columns(checkpoint=pl.lit("")))

    @property
    def snapshots(self) -> list[str]:
        """Oldest to newest (by their latest sample)."""
        return _ordered(self.frame, "snapshot")

    @property
    def interventions(self) -> list[str]:
        """Baseline first, then alphabetical."""
        return sorted(_ordered(self.frame, "intervention"), key=lambda iv: (iv != BASELINE, iv))

    @property
    def checkpoints(self) -> list[Checkpoint]:
        """Along training."""
        rows = self.frame.unique(["checkpoint"]).sort("stage_rank", "stage_step", "training_stage").to_dicts()
        return [Checkpoint(r["checkpoint"], r["training_stage"], r["stage_step"], r["stage_rank"]) for r in rows]

    def checkpoint(self, label: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.label == label), None)

    def interventions_in(self, snapshot: str) -> list[str]:
        """A snapshot's interventions, oldest run first."""
        rows = self.frame.filter(pl.col("snapshot") == snapshot).sort("last_created", "intervention")
        return _ordered(rows, "intervention")

    def checkpoints_of(self, snapshot: str, intervention: str) -> list[str]:
        """Checkpoints at which this snapshot × intervention has samples, along training."""
        rows = self.frame.filter((pl.col("snapshot") == snapshot) & (pl.col("intervention") == intervention))
        return _ordered(rows.sort("stage_rank", "stage_step"), "checkpoint")

    def default_sides(self) -> tuple[Side, Side] | None:
        """Baseline vs the newest intervention of the newest snapshot, both at their final checkpoint."""
        if self.frame.is_empty():
            return None
        newest = self.snapshots[-1]
        ivs = self.interventions_in(newest)
        final = self.checkpoints_of(newest, ivs[-1])[-1]
        if len(ivs) > 1:
            a_iv = BASELINE if BASELINE in ivs[:-1] else ivs[0]
            a_final = self.checkpoints_of(newest, a_iv)[-1]
            return Side(newest, a_iv, a_final), Side(newest, ivs[-1], final)
        if len(self.snapshots) > 1:  # one intervention: the previous snapshot against the newest
            previous = self.snapshots[-2]
            prev_ivs = self.interventions_in(previous)
            a_iv = ivs[-1] if ivs[-1] in prev_ivs else prev_ivs[-1]
            return Side(previous, a_iv, self.checkpoints_of(previous, a_iv)[-1]), Side(newest, ivs[-1], final)
        first = self.checkpoints_of(newest, ivs[-1])[0]  # one run: the start of training against its end
        return Side(newest, ivs[-1], first), Side(newest, ivs[-1], final)


def url_warnings(params: Mapping[str, Sequence[str]], options: Options) -> list[str]:
    """One warning per A/B URL value the dataset does not hold (the bound widget drops it and uses the default)."""
    allowed = {
        "snapshot": options.snapshots,
        "intervention": options.interventions,
        "stage": [c.label for c in options.checkpoints],
    }
    nouns = {"snapshot": "snapshot", "intervention": "intervention", "stage": "checkpoint"}
    warnings = []
    for side in SIDES:
        for field in FIELDS:
            key = f"{side}_{field}"
            for value in params.get(key, ()):
                if value not in allowed[field]:
                    hint = " (e.g. `rl@1000`, `sft`)" if field == "stage" else ""
                    reason = f"the dataset has no such {nouns[field]}{hint}; using the default"
                    warnings.append(ignored(key, value, reason))
    return warnings


def side_problem(name: str, side: Side, options: Options) -> str | None:
    """Why a side has no samples in the dataset (wrong snapshot × intervention, or a checkpoint it lacks)."""
    ivs = options.interventions_in(side.snapshot)
    if side.intervention not in ivs:
        held = ", ".join(ivs) or "nothing"
        return f"{name} ({side.describe()}): snapshot {side.snapshot} has no {side.intervention} runs; it holds {held}."
    checkpoints = options.checkpoints_of(side.snapshot, side.intervention)
    if side.checkpoint not in checkpoints:
        return (
            f"{name} ({side.describe()}): {side.intervention} in {side.snapshot} was not evaluated at "
            f"{side.checkpoint}; its checkpoints are {', '.join(checkpoints)}."
        )
    return None


def problems(a: Side, b: Side, options: Options) -> list[str]:
    """Reasons the comparison cannot be drawn; empty when A and B are two different, existing runs."""
    if a == b:
        return [f"A and B are the same ({a.describe()}): pick a different snapshot, intervention or checkpoint."]
    return [p for p in (side_problem("A", a, options), side_problem("B", b, options)) if p]


def side_names(a: Side, b: Side) -> tuple[str, str, str]:
    """Short names for A and B (the fields that differ) and the shared context ('atlas-2026-11 at rl@1000')."""
    differ = [f for f in ("snapshot", "intervention", "checkpoint") if getattr(a, f) != getattr(b, f)] or ["snapshot"]
    name_a = " · ".join(getattr(a, f) for f in differ)
    name_b = " · ".join(getattr(b, f) for f in differ)
    context = []
    if a.snapshot == b.snapshot:
        context.append(a.snapshot)
    if a.intervention == b.intervention:
        context.append(f"with {a.intervention}")
    if a.checkpoint == b.checkpoint:
        context.append(f"at {a.checkpoint}")
    return name_a, name_b, " ".join(context)


# --- The per-family table -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """McNemar's test on the (scenario, epoch) pairs run on both sides."""

    pairs: int
    a_only: int  # harmful on A only
    b_only: int  # harmful on B only
    p: float
    p_holm: float | None = None

    def describe(self) -> str:
        p = f"Holm-adjusted {format_p(self.p_holm)}" if self.p_holm is not None else format_p(self.p)
        return f"McNemar {p}; {self.pairs} pairs: harmful on A only {self.a_only}, on B only {self.b_only}"


@dataclass(frozen=True)
class Row:
    """One scenario family (or the pooled row): the comparison, the paired test if offered, ungraded counts."""

    family: str
    held_out: bool
    comparison: Comparison
    paired: Paired | None
    ungraded_a: int
    ungraded_b: int
    pooled: bool = False

    @property
    def label(self) -> str:
        return fmt.held_out(self.family, self.held_out)

    @property
    def call(self) -> Call:
        """The one call (`stats.SIGNIFICANCE_RULE`): Holm-adjusted for families, unadjusted for the pooled row."""
        return self.comparison.call

    @property
    def significant(self) -> bool:
        return self.call.significant

    @property
    def regression(self) -> bool:
        return self.call is Call.HIGHER

    @property
    def kind(self) -> str:
        """The marker/shading class of the call: 'regression', 'improvement', 'inconclusive' or ''."""
        return {Call.HIGHER: "regression", Call.LOWER: "improvement", Call.INCONCLUSIVE: "inconclusive"}.get(
            self.call, ""
        )

    def test_text(self) -> str:
        """The 'test' column: the same call, with the p-value and the interval that decided it."""
        pooled = "; not corrected (one pooled test)" if self.pooled else ""
        return self.comparison.describe_significance() + pooled

    def verdict(self) -> str:
        c = self.comparison
        if not c.has_samples:
            return "no samples on " + " and ".join(s for s, r in (("A", c.a), ("B", c.b)) if r.n == 0)
        return VERDICTS[self.call]


VERDICTS = {
    Call.LOWER: "▼ lower",
    Call.HIGHER: "▲ higher: regression",
    Call.INCONCLUSIVE: "? inconclusive",
    Call.NO_CHANGE: "no significant change",
    Call.UNTESTED: "no samples",
}


@dataclass(frozen=True)
class Result:
    """A against B: one row per family (largest change first), the pooled row, and whether pairing was used."""

    a: Side
    b: Side
    rows: tuple[Row, ...]
    pooled: Row
    paired_note: str

    @property
    def paired(self) -> bool:
        return self.pooled.paired is not None

    @property
    def empty_sides(self) -> list[str]:
        return [s for s, r in (("A", self.pooled.comparison.a), ("B", self.pooled.comparison.b)) if r.n == 0]


def side_counts(cells: pl.DataFrame, side: Side, checkpoint: Checkpoint) -> pl.DataFrame:
    """Per family: n, k, ungraded of one side (from `compare_cells.sql`)."""
    return (
        cells.filter(
            (pl.col("snapshot") == side.snapshot)
            & (pl.col("intervention") == side.intervention)
            & (pl.col("training_stage") == checkpoint.stage)
            & (pl.col("stage_step") == checkpoint.step)
        )
        .group_by("scenario_family")
        .agg(pl.col("n").sum(), pl.col("k").sum(), pl.col("ungraded").sum())
    )


def pairs_params(a: Side, b: Side, options: Options, view_params: Mapping[str, list[str] | str]) -> dict:
    """Bound parameters for `compare_pairs.sql`."""
    ca, cb = options.checkpoint(a.checkpoint), options.checkpoint(b.checkpoint)
    assert ca is not None and cb is not None
    return {
        "a_snapshot": a.snapshot, "a_intervention": a.intervention, "a_stage": ca.stage, "a_step": ca.step,
        "b_snapshot": b.snapshot, "b_intervention": b.intervention, "b_stage": cb.stage, "b_step": cb.step,
        "families": list(view_params.get("families", [])), "graders": list(view_params.get("graders", [])),
        "source": view_params.get("source", PRIMARY),
    }  # fmt: skip


def can_pair(a: Side, b: Side) -> bool:
    """Pairing by (scenario, epoch) is only meaningful within one snapshot's eval run."""
    return a.snapshot == b.snapshot


def _paired_tests(pairs: pl.DataFrame | None, a: Side, b: Side) -> tuple[dict[str, Paired], Paired | None, str]:
    if not can_pair(a, b):
        return {}, None, "No paired test: A and B come from different snapshots, so their samples are not paired."
    if pairs is not None and pairs.get_column("ambiguous").sum() > 0:
        return {}, None, "No paired test: some scenario × epoch was graded more than once on a side (pick one grader)."
    if pairs is None or pairs.is_empty() or pairs.get_column("pairs").sum() == 0:
        return {}, None, "No paired test: no scenario and epoch was graded on both sides."
    rows = [r for r in pairs.to_dicts() if r["pairs"] > 0]
    raw = [mcnemar_p(r["a_only"], r["b_only"]) for r in rows]
    per_family = {
        r["scenario_family"]: Paired(r["pairs"], r["a_only"], r["b_only"], p, p_holm)
        for r, p, p_holm in zip(rows, raw, holm(raw), strict=True)
    }
    a_only, b_only = sum(r["a_only"] for r in rows), sum(r["b_only"] for r in rows)
    pooled = Paired(sum(r["pairs"] for r in rows), a_only, b_only, mcnemar_p(a_only, b_only))
    note = (
        "Paired test (McNemar, exact): the same scenarios and epochs ran on both sides; it uses the discordant "
        "pairs and is Holm-corrected across families. The significance marker stays on the unpaired test."
    )
    return per_family, pooled, note


@reused()
def build(
    cells: pl.DataFrame,
    a: Side,
    b: Side,
    options: Options,
    held_out: Sequence[str] = (),
    pairs: pl.DataFrame | None = None,
) -> Result:
    """Compare A with B in every family either side has (Holm across families) and pooled over them."""
    ca, cb = options.checkpoint(a.checkpoint), options.checkpoint(b.checkpoint)
    if ca is None or cb is None:
        raise ValueError(f"unknown checkpoint: {a.checkpoint if ca is None else b.checkpoint}")
    side_a = side_counts(cells, a, ca).rename({"n": "n_a", "k": "k_a", "ungraded": "u_a"})
    side_b = side_counts(cells, b, cb).rename({"n": "n_b", "k": "k_b", "ungraded": "u_b"})
    joined = side_a.join(side_b, on="scenario_family", how="full", coalesce=True).fill_null(0)
    records = joined.sort("scenario_family").to_dicts()
    comparisons = holm_adjust([compare(r["k_a"], r["n_a"], r["k_b"], r["n_b"]) for r in records])
    paired, pooled_paired, note = _paired_tests(pairs, a, b)
    rows = [
        Row(
            r["scenario_family"],
            r["scenario_family"] in held_out,
            c,
            paired.get(r["scenario_family"]),
            r["u_a"],
            r["u_b"],
        )
        for r, c in zip(records, comparisons, strict=True)
    ]
    rows.sort(key=lambda row: (not row.comparison.has_samples, -abs(row.comparison.diff or 0.0), row.family))
    total = {key: sum(r[key] for r in records) for key in ("k_a", "n_a", "k_b", "n_b", "u_a", "u_b")}
    pooled = Row(
        POOLED,
        False,
        compare(total["k_a"], total["n_a"], total["k_b"], total["n_b"]),
        pooled_paired,
        total["u_a"],
        total["u_b"],
        pooled=True,
    )
    return Result(a, b, tuple(rows), pooled, note)


@reused()
def table(result: Result) -> pl.DataFrame:
    """The table the page shows: family rows (largest change first), then the pooled row; every rate with n and CI."""
    name_a, name_b, _ = side_names(result.a, result.b)
    col_a, col_b = (f"A: {name_a}", f"B: {name_b}") if name_a != name_b else ("A", "B")
    out = []
    for row in (*result.rows, result.pooled):
        c = row.comparison
        out.append(
            {
                "family": row.label,
                col_a: format_rate(c.a.k, c.a.n),
                col_b: format_rate(c.b.k, c.b.n),
                "B − A": format_points(c.diff, c.diff_lo, c.diff_hi) if c.has_samples else "no samples",
                "A/B": c.ratio.describe(),
                "verdict": row.verdict(),
                "test": row.test_text(),
                **({"paired test": row.paired.describe() if row.paired else "–"} if result.paired else {}),
            }
        )
    return pl.DataFrame(out)


def row_kinds(result: Result) -> list[str]:
    """Per table row: 'regression', 'improvement', 'inconclusive', 'pooled' or '' (for highlighting)."""
    return [*(r.kind for r in result.rows), "pooled"]


# --- Headline ------------------------------------------------------------------------------------------------


def _pct(k: int, n: int) -> str:
    return f"{fmt.pct(k / n)} (n={n:,})"


def _change(row: Row) -> str:
    c = row.comparison
    if not c.has_samples:
        return "no samples"
    points = format_points(c.diff, c.diff_lo, c.diff_hi)  # type: ignore[arg-type]
    if row.call is Call.INCONCLUSIVE:
        return f"inconclusive ({points}; {row.comparison.describe_significance()})"
    if not row.significant:
        return f"no significant change ({points})"
    return f"{'higher — a regression' if row.regression else 'lower'} ({points})"


def headline(result: Result) -> str:
    """One paragraph from the numbers; claims a change only where the interval (and Holm) supports it."""
    name_a, name_b, context = side_names(result.a, result.b)
    pooled = result.pooled
    c = pooled.comparison
    if not c.has_samples:
        return f"Nothing to compare: {' and '.join(result.empty_sides)} has no graded samples in this view."
    assert c.diff is not None and c.diff_lo is not None and c.diff_hi is not None
    tested = [r for r in result.rows if r.comparison.has_samples]
    where = f"on {tested[0].family}" if len(tested) == 1 else f"across {len(tested)} families"
    rates = f"from {_pct(c.a.k, c.a.n)} to {_pct(c.b.k, c.b.n)}"
    points = f"{format_points(c.diff, c.diff_lo, c.diff_hi)}; {c.ratio.describe()}"
    ctx = f" ({context})" if context else ""
    if pooled.significant:
        verb = "raises" if c.diff > 0 else "lowers"
        first = f"Against {name_a}, {name_b} {verb} the harmful-action rate {rates} {where}{ctx}: {points}."
    elif pooled.call is Call.INCONCLUSIVE:
        first = (
            f"Against {name_a}, the change {name_b} makes to the harmful-action rate {where}{ctx} is inconclusive: "
            f"{rates}, {points}; {c.describe_significance()}."
        )
    else:
        first = (
            f"Against {name_a}, {name_b} shows no significant change in the harmful-action rate {where}{ctx}: "
            f"{rates}, {points}."
        )
    sentences = [first]
    if len(tested) > 1:
        lower = sum(r.call is Call.LOWER for r in tested)
        higher = sum(r.call is Call.HIGHER for r in tested)
        unclear = [r.family for r in tested if r.call is Call.INCONCLUSIVE]
        sentences.append(
            f"The change is significant in {lower + higher} of {len(tested)} families after Holm correction "
            f"({lower} lower, {higher} higher)"
            + (f"; inconclusive in {len(unclear)} ({', '.join(unclear)})." if unclear else ".")
        )
    regressions = [r.family for r in tested if r.regression]
    if regressions:
        sentences.append(f"Regression: B is significantly worse than A on {', '.join(regressions)}.")
    for row in result.rows:
        if row.held_out:
            sentences.append(f"Held-out family '{row.family}': {_change(row)}.")
    return " ".join(sentences)


# --- Through training --------------------------------------------------------------------------------------------


def series_names(a: Side, b: Side) -> tuple[str, str]:
    """Legend names for the two training series (a run = snapshot × intervention)."""
    same_snapshot = a.snapshot == b.snapshot
    name = (lambda s: s.intervention) if same_snapshot else (lambda s: f"{s.snapshot} · {s.intervention}")
    name_a, name_b = name(a), name(b)
    if name_a == name_b:  # same run on both sides (checkpoints differ): one series
        return f"A/B: {name_a}", f"A/B: {name_b}"
    return f"A: {name_a}", f"B: {name_b}"


def _run_counts(cells: pl.DataFrame, snapshot: str, intervention: str) -> pl.DataFrame:
    return (
        cells.filter((pl.col("snapshot") == snapshot) & (pl.col("intervention") == intervention))
        .group_by("training_stage", "stage_step", "stage_rank")
        .agg(pl.col("n").sum(), pl.col("k").sum())
    )


@reused()
def training_series(cells: pl.DataFrame, a: Side, b: Side) -> pl.DataFrame:
    """A's and B's runs at every checkpoint, shaped for `charts.rate_lines` (`intervention` = series name)."""
    name_a, name_b = series_names(a, b)
    frames = [_run_counts(cells, a.snapshot, a.intervention).with_columns(intervention=pl.lit(name_a))]
    if name_b != name_a:
        frames.append(_run_counts(cells, b.snapshot, b.intervention).with_columns(intervention=pl.lit(name_b)))
    return with_intervals(pl.concat(frames)).sort("stage_rank", "stage_step", "intervention")


@reused()
def training_gaps(cells: pl.DataFrame, a: Side, b: Side) -> pl.DataFrame:
    """B − A at each checkpoint both runs reached, with Newcombe intervals and Holm across checkpoints."""
    ra = _run_counts(cells, a.snapshot, a.intervention).rename({"n": "n_a", "k": "k_a"})
    rb = _run_counts(cells, b.snapshot, b.intervention).rename({"n": "n_b", "k": "k_b"})
    both = ra.join(rb, on=["training_stage", "stage_step", "stage_rank"]).filter(
        (pl.col("n_a") > 0) & (pl.col("n_b") > 0)
    )
    both = checkpoint_labels(both).sort("stage_rank", "stage_step")
    records = both.to_dicts()
    cs = holm_adjust([compare(r["k_a"], r["n_a"], r["k_b"], r["n_b"]) for r in records])
    rows = [
        {
            "checkpoint": r["checkpoint"],
            "training_stage": r["training_stage"],
            "stage_step": r["stage_step"],
            "stage_rank": r["stage_rank"],
            "n_a": r["n_a"], "k_a": r["k_a"], "n_b": r["n_b"], "k_b": r["k_b"],
            "diff": c.diff, "lo": c.diff_lo, "hi": c.diff_hi,
            "significant": c.call.significant,
            "call": c.call.value,
            "text": f"{format_points(c.diff, c.diff_lo, c.diff_hi)}; A {c.a.describe()}, B {c.b.describe()}",  # type: ignore[arg-type]
        }
        for r, c in zip(records, cs, strict=True)
    ]  # fmt: skip
    schema = {
        "checkpoint": pl.String,
        "diff": pl.Float64,
        "lo": pl.Float64,
        "hi": pl.Float64,
        "significant": pl.Boolean,
        "call": pl.String,
    }
    return pl.DataFrame(rows) if rows else pl.DataFrame(schema=schema)


def training_summary(gaps: pl.DataFrame) -> str:
    """'B is significantly lower than A at 6 of 7 checkpoints (Holm) …; at rl@1000: −19.1 pts [...]'."""
    if gaps.is_empty():
        return "A's and B's runs share no checkpoint with graded samples, so there is no gap to follow."
    rows = gaps.to_dicts()
    lower = sum(r["call"] == Call.LOWER for r in rows)
    higher = sum(r["call"] == Call.HIGHER for r in rows)
    unclear = sum(r["call"] == Call.INCONCLUSIVE for r in rows)
    first, last = rows[0], rows[-1]
    text = (
        f"B is significantly lower than A at {lower} and higher at {higher} of {len(rows)} checkpoints "
        f"(Holm-corrected){f'; inconclusive at {unclear}' if unclear else ''}. "
        f"Gap at {first['checkpoint']}: {format_points(first['diff'], first['lo'], first['hi'])}"
    )
    if len(rows) > 1:
        text += f"; at {last['checkpoint']}: {format_points(last['diff'], last['lo'], last['hi'])}"
        if last["significant"]:
            text += f" — the {'gain' if last['diff'] < 0 else 'regression'} lasts to the final checkpoint."
        elif last["call"] == Call.INCONCLUSIVE:
            text += " — inconclusive at the final checkpoint (the test and the interval disagree)."
        else:
            text += " — no significant difference at the final checkpoint."
    return text + ("" if text.endswith(".") else ".")


# --- Stacking ----------------------------------------------------------------------------------------------------


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
        labels = _ordered(labels, "checkpoint")
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
    note = f"In {snapshot} at {ck.label}" + (
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
            notes.append(f"{combo} against {part} alone: {_change(row)}; {row.comparison.ratio.describe()}.")
        else:
            elsewhere = [s for s in options.snapshots if part in options.interventions_in(s)]
            also = f" (it was in {', '.join(elsewhere)}; across snapshots the model differs, so it is not shown)"
            notes.append(
                f"{part} alone was not run in {side.snapshot} at {side.checkpoint}{also if elsewhere else ''}."
            )
    rates = per_iv.filter(pl.col("intervention").is_in([m for m in members if m in held]))
    return Stack(side.snapshot, side.checkpoint, combo, rates, missing, tuple(notes))


# --- Links and export ---------------------------------------------------------------------------------------------


def url_params(a: Side, b: Side) -> dict[str, str]:
    """The six A/B URL keys, explicit (so a shared link keeps its meaning when new data arrives)."""
    out = {}
    for name, side in (("a", a), ("b", b)):
        out |= {
            f"{name}_snapshot": side.snapshot,
            f"{name}_intervention": side.intervention,
            f"{name}_stage": side.checkpoint,
        }
    return out


def share_link(base_url: str, filter_params: Mapping[str, Sequence[str]], a: Side, b: Side) -> str:
    """An absolute link to this comparison: the sidebar filters plus every A/B key."""
    query = urlencode({**{k: list(v) for k, v in filter_params.items()}, **url_params(a, b)}, doseq=True)
    return f"{base_url.split('?', 1)[0]}?{query}"


def transcript_params(
    side: Side, options: Options, family: str | None, filter_params: Mapping[str, Sequence[str]]
) -> dict[str, str | list[str]]:
    """Query params for /transcripts showing one side's samples (one family, or the view's families)."""
    ck = options.checkpoint(side.checkpoint)
    assert ck is not None
    params: dict[str, str | list[str]] = {
        "snapshot": side.snapshot,
        "intervention": side.intervention,
        "stage": ck.stage,
        "step": str(ck.step),
    }
    families = [family] if family else list(filter_params.get("family", []))
    if families:
        params["family"] = families
    if filter_params.get("grader"):
        params["grader"] = list(filter_params["grader"])
    return params


def _num(x: float | None) -> str:
    """CSV number: empty when undefined, 'inf' for an unbounded ratio."""
    if x is None or math.isnan(x):
        return ""
    return "inf" if math.isinf(x) else f"{x:.6g}"


def to_csv(result: Result, filter_params: Mapping[str, Sequence[str]], dataset: str = "") -> str:
    """The comparison as CSV with numeric columns; '#' header lines record A, B, filters and dataset."""
    buf = io.StringIO()
    buf.write("# evalboard comparison (difference = B - A; ratio = A/B; 95% intervals)\n")
    buf.write(f"# A: {result.a.describe()}\n# B: {result.b.describe()}\n")
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in filter_params.items() if v) or "none"
    buf.write(f"# filters: {filters}\n")
    if dataset:
        buf.write(f"# dataset: {dataset}\n")
    buf.write(f"# {result.paired_note}\n")
    buf.write(f"# significance: {SIGNIFICANCE_RULE}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["family", "held_out", "pooled", "a_k", "a_n", "a_rate", "a_lo", "a_hi", "a_ungraded", "b_k", "b_n", "b_rate",
         "b_lo", "b_hi", "b_ungraded", "diff", "diff_lo", "diff_hi", "ratio", "ratio_lo", "ratio_hi", "fisher_p",
         "fisher_p_holm", "significant", "regression", "verdict", "call", "mcnemar_pairs", "mcnemar_a_only",
         "mcnemar_b_only", "mcnemar_p", "mcnemar_p_holm"]
    )  # fmt: skip
    for row in (*result.rows, result.pooled):
        c, p = row.comparison, row.paired
        writer.writerow(
            [row.family, row.held_out, row.pooled, c.a.k, c.a.n, _num(c.a.rate), _num(c.a.lo), _num(c.a.hi),
             row.ungraded_a, c.b.k, c.b.n, _num(c.b.rate), _num(c.b.lo), _num(c.b.hi), row.ungraded_b, _num(c.diff),
             _num(c.diff_lo), _num(c.diff_hi), _num(c.ratio.estimate), _num(c.ratio.lo), _num(c.ratio.hi),
             _num(c.p_value), _num(c.p_holm), row.significant, row.regression, row.verdict(), row.call.value,
             p.pairs if p else "", p.a_only if p else "", p.b_only if p else "", _num(p.p) if p else "",
             _num(p.p_holm) if p else ""]
        )  # fmt: skip
    return buf.getvalue()


# --- Frames for the charts -------------------------------------------------------------------------------------


def rates_frame(result: Result) -> pl.DataFrame:
    """Per family and side: n, k and the Wilson interval, in table order (for `charts.side_by_side_rates`)."""
    out = []
    for row in result.rows:
        for side, r in (("A", row.comparison.a), ("B", row.comparison.b)):
            out.append({"family": row.label, "side": side, "n": r.n, "k": r.k, "rate": r.rate, "lo": r.lo, "hi": r.hi})
    schema = {"family": pl.String, "side": pl.String, "n": pl.Int64, "k": pl.Int64}
    schema |= {"rate": pl.Float64, "lo": pl.Float64, "hi": pl.Float64}
    return pl.DataFrame(out, schema=schema)


def diffs_frame(result: Result) -> pl.DataFrame:
    """B − A per family and pooled with Newcombe intervals and the page's call (for `charts.difference_forest`)."""
    out = []
    for row in (*result.rows, result.pooled):
        c = row.comparison
        if c.has_samples:
            out.append(
                {
                    "family": row.label,
                    "diff": c.diff,
                    "lo": c.diff_lo,
                    "hi": c.diff_hi,
                    "verdict": row.verdict(),
                    "pooled": row.pooled,
                    "kind": row.kind,
                    "call": row.call.value,
                    "text": "<br>".join(
                        (format_points(c.diff, c.diff_lo, c.diff_hi), f"A {c.a.describe()}", f"B {c.b.describe()}")
                    ),
                }
            )
    schema = {"family": pl.String, "diff": pl.Float64, "lo": pl.Float64, "hi": pl.Float64, "verdict": pl.String}
    schema |= {"pooled": pl.Boolean, "kind": pl.String, "call": pl.String, "text": pl.String}
    return pl.DataFrame(out, schema=schema)
