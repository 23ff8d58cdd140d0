"""Drivers: which scenario variable moves the harmful rate, and whether each intervention's gain holds at every value
of it (docs/ARCHITECTURE.md, "Drivers, trends and held-out families"). Counts from queries/driver_counts.sql;
statistics from stats.py. No Streamlit.

A variable is `scenario_family`, `scenario` or a `conditions` key (queries/variables.sql). Two variables whose values
always come together (each value of one with exactly one of the other, both ways) are confounded: one row names
both. A variable each of whose values falls within one value of another ranked variable (`scenario` holds a family,
a goal and an urgency) combines them; its spread includes theirs, so it is ranked after every variable it does not
combine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from evalboard.core import links, urls
from evalboard.core.fmt import csv_text
from evalboard.core.stats import (
    SIGNIFICANCE_RULE,
    Call,
    Comparison,
    Homogeneity,
    Rate,
    Spread,
    compare,
    format_p,
    format_points,
    holm,
    holm_adjust,
    homogeneity_test,
    rate,
    rate_spread,
    significance_call,
    with_intervals,
)
from evalboard.core.view import View, ignored
from evalboard.data.store import Store
from evalboard.screens.compare.result import BASELINE

KEY = urls.DRIVERS_KEY  # the variable the page details (URL `?key=urgency_type`)
URL_KEYS = urls.DRIVERS_KEYS
ALL = "all"  # the heatmap's column pooling every intervention of the view
CELL = ("snapshot", "training_stage", "stage_step")  # where an intervention meets baseline


@dataclass(frozen=True)
class Level:
    """One value of a variable: k harmful of n graded, with its Wilson interval."""

    value: str
    rate: Rate


@dataclass(frozen=True)
class Variable:
    """One ranked row: a variable (and those confounded with it), its values, the test of no effect and the spread."""

    name: str
    levels: tuple[Level, ...]  # by value
    test: Homogeneity
    p_holm: float
    spread: Spread | None
    confounded: tuple[str, ...] = ()  # variables whose values always come with this one's
    combines: tuple[str, ...] = ()  # ranked variables each of this one's values falls within

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.confounded)

    @property
    def n(self) -> int:
        return sum(level.rate.n for level in self.levels)

    @property
    def call(self) -> Call:
        """The one rule (`stats.SIGNIFICANCE_RULE`) on the spread's interval and the Holm-adjusted test."""
        spread = self.spread
        if spread is None:
            return Call.UNTESTED
        return significance_call(spread.diff, spread.lo, spread.hi, self.p_holm)

    def label(self) -> str:
        """'goal_type = goal_value (confounded)', or the name."""
        return " = ".join(self.names) + (" (confounded)" if self.confounded else "")


@dataclass(frozen=True)
class Ranking:
    """The view's variables, most decisive first; those with a single value in the view apart."""

    variables: tuple[Variable, ...]
    constant: tuple[tuple[str, str], ...]  # (variable, its one value)

    def find(self, name: str) -> Variable | None:
        return next((v for v in self.variables if name in v.names), None)


def counts(store: Store, view: View) -> pl.DataFrame:
    """Counts per variable × value × combination × snapshot × intervention × checkpoint (queries/driver_counts.sql)."""
    return store.run("driver_counts", view.params())


def pairs(counts_frame: pl.DataFrame) -> pl.DataFrame:
    """Per ordered pair of variables: how many distinct values each has and how many distinct value pairs occur in
    one combination of scenario, family and conditions (`pairs` = `values`: each value of `variable` comes with one
    value of `other`)."""
    seen = counts_frame.select("combo", "variable", "value").unique()
    joined = seen.join(seen, on="combo", suffix="_other").filter(pl.col("variable") != pl.col("variable_other"))
    return (
        joined.group_by("variable", "variable_other")
        .agg(
            pl.col("value").n_unique().alias("values"),
            pl.col("value_other").n_unique().alias("other_values"),
            pl.struct("value", "value_other").n_unique().alias("pairs"),
        )
        .rename({"variable_other": "other"})
        .sort("variable", "other")
    )


def _levels(frame: pl.DataFrame) -> dict[str, tuple[Level, ...]]:
    pooled = frame.group_by("variable", "value").agg(pl.col("n").sum(), pl.col("k").sum()).sort("variable", "value")
    out: dict[str, list[Level]] = {}
    for row in pooled.iter_rows(named=True):
        out.setdefault(row["variable"], []).append(Level(row["value"], rate(row["k"], row["n"])))
    return {name: tuple(levels) for name, levels in out.items()}


def rank(counts_frame: pl.DataFrame) -> Ranking:
    """Rank the variables by the spread between their values; confounded ones share a row, a combination of others
    comes after them. Each row's test of no effect is Holm-adjusted across the rows."""
    levels = _levels(counts_frame)
    pairs_frame = pairs(counts_frame)
    constant = tuple(sorted((name, ls[0].value) for name, ls in levels.items() if len(ls) == 1))
    varying = sorted(name for name, ls in levels.items() if len(ls) > 1)
    determines = {  # variable → the variables each of its values comes with exactly one value of
        name: {r["other"] for r in pairs_frame.filter(pl.col("variable") == name).iter_rows(named=True)
               if r["pairs"] == r["values"] and r["other"] in varying}
        for name in varying
    }  # fmt: skip
    groups: list[list[str]] = []
    for name in varying:
        group = next((g for g in groups if name in determines[g[0]] and g[0] in determines[name]), None)
        if group is None:
            groups.append([name])
        else:
            group.append(name)
    heads = [g[0] for g in groups]
    tests = {h: homogeneity_test([(lv.rate.k, lv.rate.n) for lv in levels[h]]) for h in heads}
    adjusted = dict(zip(heads, holm([tests[h].p for h in heads]), strict=True))
    rows = []
    for group in groups:
        head = group[0]
        combines = tuple(h for h in heads if h != head and h in determines[head] and head not in determines[h])
        spread = rate_spread([(lv.rate.k, lv.rate.n) for lv in levels[head]])
        rows.append(Variable(head, levels[head], tests[head], adjusted[head], spread, tuple(group[1:]), combines))
    rows.sort(key=lambda v: (bool(v.combines), -(v.spread.diff if v.spread else 0.0), v.name))
    return Ranking(tuple(rows), constant)


def choose(ranking: Ranking, requested: str | None) -> tuple[Variable | None, str | None]:
    """The variable the page details: the URL's `key` when the view has it (any name of a confounded row), else the
    top-ranked one; with a warning when the URL named one the view does not vary."""
    top = ranking.variables[0] if ranking.variables else None
    if not requested:
        return top, None
    found = ranking.find(requested)
    if found is not None:
        return found, None
    held = dict(ranking.constant)
    why = f"it has one value in this view ({held[requested]})" if requested in held else "no scenario variable has it"
    return top, ignored(KEY, requested, why)


EFFECT = {  # a variable's call (the one rule) in words
    Call.HIGHER: "a significant effect",
    Call.LOWER: "a significant effect",
    Call.INCONCLUSIVE: "inconclusive (the test and the interval disagree)",
    Call.NO_CHANGE: "no significant effect",
    Call.UNTESTED: "no test",
}


def describe(variable: Variable) -> str:
    """'urgency_type: replacement 21.9% against none 3.3%, a spread of +18.6 pts [+16.8, +20.4]; a significant effect
    (likelihood-ratio test, 2 df, Holm-adjusted p<0.001).'"""
    spread = variable.spread
    if spread is None:
        return f"{variable.label()}: one value with samples; nothing to compare."
    high, low = variable.levels[spread.highest], variable.levels[spread.lowest]
    return (
        f"{variable.label()}: {high.value} {_pct(high.rate)} against {low.value} {_pct(low.rate)}, a spread of "
        f"{format_points(spread.diff, spread.lo, spread.hi)}; {EFFECT[variable.call]} (likelihood-ratio test, "
        f"{variable.test.df} df, Holm-adjusted {format_p(variable.p_holm)})."
    )


def _pct(r: Rate) -> str:
    return f"{100 * (r.rate or 0):.1f}%"


def ranking_frame(ranking: Ranking) -> pl.DataFrame:
    """The ranking as a table: one row per variable (confounded ones together), in rank order."""
    rows = []
    for i, v in enumerate(ranking.variables, 1):
        s = v.spread
        high = v.levels[s.highest].value if s else ""
        low = v.levels[s.lowest].value if s else ""
        rows.append(
            {
                "rank": i,
                "variable": v.label(),
                "values": len(v.levels),
                "n": v.n,
                "spread (highest − lowest)": format_points(s.diff, s.lo, s.hi) if s else "",
                "highest → lowest": f"{high} → {low}",
                "test": f"G = {v.test.g:.1f}, {v.test.df} df, Holm {format_p(v.p_holm)}",
                "call": EFFECT[v.call],
                "note": f"combines {', '.join(v.combines)}" if v.combines else "",
            }
        )
    return pl.DataFrame(rows)


def levels_frame(variable: Variable) -> pl.DataFrame:
    """Per value of the variable: its rate with Wilson interval and n."""
    return pl.DataFrame(
        [
            {
                "value": lv.value,
                "n": lv.rate.n,
                "harmful": lv.rate.k,
                "rate": lv.rate.describe(),
            }
            for lv in variable.levels
        ]
    )


# -- each intervention's gain at every value --------------------------------------------------------------------


@dataclass(frozen=True)
class Gain:
    """An intervention against baseline at each value of a variable, at the checkpoints both reached (A = baseline,
    B = the intervention; Holm across the values)."""

    intervention: str
    values: tuple[str, ...]
    comparisons: tuple[Comparison, ...]


def gains(counts_frame: pl.DataFrame, variable: Variable, baseline: str = BASELINE) -> list[Gain]:
    """Each intervention of the view but baseline, against baseline at each value of `variable`: both pooled over
    the snapshots and checkpoints where both have samples at that value. Empty without baseline in the view."""
    cells = (
        counts_frame.filter(pl.col("variable") == variable.name)
        .group_by("value", "intervention", *CELL)
        .agg(pl.col("n").sum(), pl.col("k").sum())
    )
    base = cells.filter(pl.col("intervention") == baseline).drop("intervention")
    if base.is_empty():
        return []
    matched = (
        cells.filter(pl.col("intervention") != baseline)
        .join(base, on=["value", *CELL], suffix="_base")
        .group_by("intervention", "value")
        .agg(pl.col("n", "k", "n_base", "k_base").sum())
    )
    sums = {(r["intervention"], r["value"]): r for r in matched.iter_rows(named=True)}
    empty = {"n": 0, "k": 0, "n_base": 0, "k_base": 0}
    values = [lv.value for lv in variable.levels]
    out = []
    for intervention in sorted(set(cells.get_column("intervention").to_list()) - {baseline}):
        at = [sums.get((intervention, value), empty) for value in values]
        comparisons = [compare(r["k_base"], r["n_base"], r["k"], r["n"]) for r in at]
        if any(c.has_samples for c in comparisons):
            out.append(Gain(intervention, tuple(values), tuple(holm_adjust(comparisons))))
    return out


def _noun(variable: str, plural: bool = False) -> str:
    base = variable.removeprefix("conditions.").replace("_", " ")
    if not plural:
        return base
    return base[:-1] + "ies" if base.endswith("y") and base[-2:-1] not in "aeiou" else base + "s"


def gain_sentence(gain: Gain, variable: str, baseline: str = BASELINE) -> str:
    """'deliberation_rewrites lowers the rate under every urgency type; its smallest gain is under restriction: −21.0
    pts [−30.0, −12.0]', or where it does not hold."""
    tested = [(v, c) for v, c in zip(gain.values, gain.comparisons, strict=True) if c.has_samples]
    if not tested:
        return f"{gain.intervention} and {baseline} share no checkpoint with samples at any {_noun(variable)}."
    lower = [v for v, c in tested if c.call is Call.LOWER]
    higher = [v for v, c in tested if c.call is Call.HIGHER]
    other = [v for v, c in tested if not c.call.significant]
    value, smallest = max(tested, key=lambda vc: vc[1].diff or 0.0)
    assert smallest.diff is not None and smallest.diff_lo is not None and smallest.diff_hi is not None
    at = format_points(smallest.diff, smallest.diff_lo, smallest.diff_hi)
    missing = [v for v, c in zip(gain.values, gain.comparisons, strict=True) if not c.has_samples]
    tail = f" (no shared checkpoint at {', '.join(missing)})" if missing else ""
    if len(lower) == len(tested):
        return (
            f"{gain.intervention} lowers the rate under every {_noun(variable)}{tail}; its smallest gain is under "
            f"{value}: {at}."
        )
    parts = []
    if lower:
        parts.append(f"lowers the rate under {', '.join(lower)}")
    if higher:
        parts.append(f"raises it under {', '.join(higher)}")
    if other:
        parts.append(f"shows no significant change under {', '.join(other)}")
    return (
        f"{gain.intervention} does not lower the rate under every {_noun(variable)}: it "
        + "; ".join(parts)
        + f"{tail}. Its smallest gain is under {value}: {at}."
    )


def heat_frame(counts_frame: pl.DataFrame, variable: Variable) -> pl.DataFrame:
    """Rows of the drill-down heatmap (k, n, rate and Wilson interval): per value, every intervention pooled (`ALL`)
    and each intervention apart."""
    rows = counts_frame.filter(pl.col("variable") == variable.name)
    by_iv = rows.group_by("value", "intervention").agg(pl.col("n").sum(), pl.col("k").sum())
    pooled = rows.group_by("value").agg(pl.col("n").sum(), pl.col("k").sum()).with_columns(intervention=pl.lit(ALL))
    frame = pl.concat([pooled.select(by_iv.columns), by_iv]).filter(pl.col("n") > 0)
    return with_intervals(frame.sort("value", "intervention"))


def transcripts_state(view: View, variable: str, value: str, intervention: str | None = None) -> dict:
    """The Transcripts page's state listing one cell: the view (narrowed to `intervention` unless `ALL`) at one value
    of one variable (`links.transcripts`)."""
    filters = view.to_query_params()
    if intervention and intervention != ALL:
        filters["intervention"] = [intervention]
    return links.transcripts(filters, variable=variable, value=value)


def to_csv(
    ranking: Ranking,
    variable: Variable | None,
    gain_rows: Sequence[Gain],
    filter_params: Mapping[str, Sequence[str]],
    dataset: str = "",
) -> str:
    """The ranking, then the detailed variable's values and each intervention's gain at them, as CSV (one row per
    variable, value or intervention × value; `table` says which)."""
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in filter_params.items() if v) or "none"
    header = ["table", "variable", "value", "intervention", "n", "k", "rate", "lo", "hi", "estimate", "estimate_lo",
              "estimate_hi", "p", "p_holm", "call"]  # fmt: skip
    rows: list[list[object]] = []
    for v in ranking.variables:
        s = v.spread
        rows.append(["ranking", " = ".join(v.names), "", "", v.n, sum(lv.rate.k for lv in v.levels), "", "", "",
                     s.diff if s else "", s.lo if s else "", s.hi if s else "", v.test.p, v.p_holm,
                     v.call.value])  # fmt: skip
    if variable is not None:
        for lv in variable.levels:
            r = lv.rate
            rows.append(["value", variable.name, lv.value, ALL, r.n, r.k, r.rate, r.lo, r.hi, "", "", "", "", "", ""])
        for gain in gain_rows:
            for value, c in zip(gain.values, gain.comparisons, strict=True):
                rows.append(["gain", variable.name, value, gain.intervention, c.b.n, c.b.k, c.b.rate, c.b.lo, c.b.hi,
                             c.diff, c.diff_lo, c.diff_hi, c.p_value, c.p_holm, c.call.value])  # fmt: skip
    comments = [
        f"dataset: {dataset}",
        f"filters: {filters}",
        "ranking: estimate = highest − lowest value's rate (Newcombe); p = likelihood-ratio test of equal rates",
        f"gain: intervention − {BASELINE} at the checkpoints both reached; Holm across the values",
        SIGNIFICANCE_RULE,
    ]
    return csv_text(header, rows, comments=comments)
