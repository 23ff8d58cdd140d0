"""Compare, what was decided: side A against side B per scenario family (Holm across families) and pooled, and
B − A through training. Every verdict comes from `Row.call` (`stats.SIGNIFICANCE_RULE`).

Pure functions over the frames `queries/compare_*.sql` return. Side A is the reference: differences are B − A
(negative = B lowers the harmful rate), ratios A/B, as in `stats.compare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from evalboard.core import fmt, urls
from evalboard.core.checkpoints import checkpoint_labels
from evalboard.core.memo import reused
from evalboard.core.stats import (
    Call,
    Comparison,
    compare,
    format_p,
    format_points,
    holm,
    holm_adjust,
    mcnemar_p,
)
from evalboard.core.view import PRIMARY, View, ignored
from evalboard.data.store import Store

SIDES = urls.SIDES


FIELDS = urls.SIDE_FIELDS  # URL key suffixes: a_snapshot, a_intervention, a_stage, b_…


SIDE_KEYS = urls.SIDE_KEYS  # the six A/B keys, checked against the data
# The Compare page's own URL keys: both sides, the eval-awareness split, corrected rates.
URL_KEYS = urls.COMPARE_KEYS
# The page's sections, one tab each (the per-family table, the gap through training, stacking; `urls.COMPARE_SECTIONS`),
# the open one in the URL.
SECTION_KEY = urls.SECTION_KEY


POOLED = "all families (pooled)"


BASELINE = "baseline"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a snapshot, an intervention and a checkpoint label ("rl@1000", "sft")."""

    snapshot: str
    intervention: str
    checkpoint: str

    @property
    def checkpoint_name(self) -> str:
        """The checkpoint for reading ('RL step 1,000', 'SFT'); the URL keeps `checkpoint`."""
        return fmt.checkpoint_from_label(self.checkpoint)

    def describe(self) -> str:
        """'atlas-2026-11 · baseline · RL step 1,000' (headlines, buttons, warnings)."""
        return f"{self.snapshot} · {self.intervention} · {self.checkpoint_name}"

    def identifiers(self) -> str:
        """'atlas-2026-11 · baseline · rl@1000': the names as the data and the URL write them (the CSV header)."""
        return f"{self.snapshot} · {self.intervention} · {self.checkpoint}"


@dataclass(frozen=True)
class Checkpoint:
    """A training checkpoint: its label, stage, step and rank along training."""

    label: str
    stage: str
    step: int
    rank: int


def ordered(frame: pl.DataFrame, column: str) -> list[str]:
    return frame.get_column(column).unique(maintain_order=True).to_list()


@dataclass(frozen=True, eq=False)
class Options:
    """What the dataset holds (from `compare_options.sql`), with a `checkpoint` label per row."""

    frame: pl.DataFrame

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> Options:
        return cls(
            checkpoint_labels(frame)
            if not frame.is_empty()
            else frame.with_columns(checkpoint=pl.lit(""), checkpoint_name=pl.lit(""))
        )

    # Computed once per Options (a page run asks each many times: pickers, URL checks, defaults, problems).
    @cached_property
    def snapshots(self) -> list[str]:
        """Oldest to newest (by their latest sample)."""
        return ordered(self.frame, "snapshot")

    @cached_property
    def interventions(self) -> list[str]:
        """Baseline first, then alphabetical."""
        return sorted(ordered(self.frame, "intervention"), key=lambda iv: (iv != BASELINE, iv))

    @cached_property
    def checkpoints(self) -> list[Checkpoint]:
        """Along training."""
        rows = self.frame.unique(["checkpoint"]).sort("stage_rank", "stage_step", "training_stage").to_dicts()
        return [Checkpoint(r["checkpoint"], r["training_stage"], r["stage_step"], r["stage_rank"]) for r in rows]

    def checkpoint(self, label: str) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.label == label), None)

    def interventions_in(self, snapshot: str) -> list[str]:
        """A snapshot's interventions, oldest run first."""
        return self._runs.get(snapshot, [])

    def checkpoints_of(self, snapshot: str, intervention: str) -> list[str]:
        """Checkpoints at which this snapshot × intervention has samples, along training."""
        return self._checkpoints_by_run.get((snapshot, intervention), [])

    @cached_property
    def _runs(self) -> dict[str, list[str]]:
        rows = self.frame.sort("last_created", "intervention").select("snapshot", "intervention").iter_rows()
        runs: dict[str, list[str]] = {}
        for snapshot, intervention in rows:
            if intervention not in runs.setdefault(snapshot, []):
                runs[snapshot].append(intervention)
        return runs

    @cached_property
    def _checkpoints_by_run(self) -> dict[tuple[str, str], list[str]]:
        rows = self.frame.sort("stage_rank", "stage_step").select("snapshot", "intervention", "checkpoint").iter_rows()
        found: dict[tuple[str, str], list[str]] = {}
        for snapshot, intervention, checkpoint in rows:
            if checkpoint not in found.setdefault((snapshot, intervention), []):
                found[(snapshot, intervention)].append(checkpoint)
        return found

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
            f"{side.checkpoint_name}; its checkpoints are {', '.join(map(fmt.checkpoint_from_label, checkpoints))}."
        )
    return None


def problems(a: Side, b: Side, options: Options) -> list[str]:
    """Reasons the comparison cannot be drawn; empty when A and B are two different, existing runs."""
    if a == b:
        return [f"A and B are the same ({a.describe()}): pick a different snapshot, intervention or checkpoint."]
    return [p for p in (side_problem("A", a, options), side_problem("B", b, options)) if p]


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


def load_options(store: Store) -> Options:
    """Every snapshot × intervention × checkpoint the dataset holds (`compare_options.sql`)."""
    return Options.from_frame(store.run("compare_options"))


def load_cells(store: Store, view: View) -> pl.DataFrame:
    """n, k, ungraded per snapshot × intervention × checkpoint × family under the view's family and grader filters
    and verdict source (`compare_cells.sql`; the sidebar's snapshot, intervention and stage filters do not apply)."""
    return store.run(
        "compare_cells", {"families": list(view.families), "graders": list(view.graders), "source": view.source}
    )


def load_pairs(store: Store, a: Side, b: Side, options: Options, view: View) -> pl.DataFrame | None:
    """A and B's verdicts on the same (scenario, epoch) per family (`compare_pairs.sql`); None where the sides
    cannot be paired (`can_pair`)."""
    return store.run("compare_pairs", pairs_params(a, b, options, view.params())) if can_pair(a, b) else None


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


def run_counts(cells: pl.DataFrame, snapshot: str, intervention: str) -> pl.DataFrame:
    return (
        cells.filter((pl.col("snapshot") == snapshot) & (pl.col("intervention") == intervention))
        .group_by("training_stage", "stage_step", "stage_rank")
        .agg(pl.col("n").sum(), pl.col("k").sum())
    )


@reused()
def training_gaps(cells: pl.DataFrame, a: Side, b: Side) -> pl.DataFrame:
    """B − A at each checkpoint both runs reached, with Newcombe intervals and Holm across checkpoints."""
    ra = run_counts(cells, a.snapshot, a.intervention).rename({"n": "n_a", "k": "k_a"})
    rb = run_counts(cells, b.snapshot, b.intervention).rename({"n": "n_b", "k": "k_b"})
    both = ra.join(rb, on=["training_stage", "stage_step", "stage_rank"]).filter(
        (pl.col("n_a") > 0) & (pl.col("n_b") > 0)
    )
    both = checkpoint_labels(both).sort("stage_rank", "stage_step")
    records = both.to_dicts()
    cs = holm_adjust([compare(r["k_a"], r["n_a"], r["k_b"], r["n_b"]) for r in records])
    rows = [
        {
            "checkpoint": r["checkpoint"],
            "checkpoint_name": r["checkpoint_name"],
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
        "checkpoint_name": pl.String,
        "diff": pl.Float64,
        "lo": pl.Float64,
        "hi": pl.Float64,
        "significant": pl.Boolean,
        "call": pl.String,
    }
    return pl.DataFrame(rows) if rows else pl.DataFrame(schema=schema)
