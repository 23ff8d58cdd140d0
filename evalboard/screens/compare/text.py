"""Compare, how it is said: the table the page shows, the headline and the through-training summary, in words
from `compare.result` (every claim follows `Row.call`)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from evalboard.core import fmt
from evalboard.core.memo import reused
from evalboard.core.stats import (
    Call,
    format_points,
    format_rate,
)
from evalboard.screens.compare.result import Result, Row, Side


def side_names(a: Side, b: Side) -> tuple[str, str, str]:
    """Short names for A and B (the fields that differ) and the shared context ('atlas-2026-11 at rl@1000')."""
    fields = ("snapshot", "intervention", "checkpoint_name")  # the checkpoint for reading: 'RL step 1,000'
    differ = [f for f in fields if getattr(a, f) != getattr(b, f)] or ["snapshot"]
    name_a = " · ".join(getattr(a, f) for f in differ)
    name_b = " · ".join(getattr(b, f) for f in differ)
    context = []
    if a.snapshot == b.snapshot:
        context.append(a.snapshot)
    if a.intervention == b.intervention:
        context.append(f"with {a.intervention}")
    if a.checkpoint == b.checkpoint:
        context.append(f"at {a.checkpoint_name}")
    return name_a, name_b, " ".join(context)


@dataclass(frozen=True)
class TableRow:
    """One row of Compare's table, worked out once: the domain row (its numbers) and its words. The table, the CSV
    and the forest plot's frame all render these rows."""

    row: Row
    label: str  # the family as shown: 'sabotage (held-out)', or the pooled row's name
    rate_a: str
    rate_b: str
    change: str  # B − A with its interval
    ratio: str
    verdict: str
    test: str
    paired: str
    kind: str  # 'regression', 'improvement', 'inconclusive', 'pooled' or '' (the shading)


def table_rows(result: Result) -> list[TableRow]:
    """Family rows (largest change first), then the pooled row."""
    out = []
    for row in (*result.rows, result.pooled):
        c = row.comparison
        out.append(
            TableRow(
                row,
                row.label,
                format_rate(c.a.k, c.a.n),
                format_rate(c.b.k, c.b.n),
                format_points(c.diff, c.diff_lo, c.diff_hi) if c.has_samples else "no samples",  # type: ignore[arg-type]
                c.ratio.describe(),
                row.verdict(),
                row.test_text(),
                row.paired.describe() if row.paired else "–",
                "pooled" if row.pooled else row.kind,
            )
        )
    return out


@reused()
def table(result: Result) -> pl.DataFrame:
    """The table the page shows, one line per `table_rows` row; every rate with n and CI."""
    name_a, name_b, _ = side_names(result.a, result.b)
    col_a, col_b = (f"A: {name_a}", f"B: {name_b}") if name_a != name_b else ("A", "B")
    out = [
        {
            "family": r.label,
            col_a: r.rate_a,
            col_b: r.rate_b,
            "B − A": r.change,
            "A/B": r.ratio,
            "verdict": r.verdict,
            "test": r.test,
            **({"paired test": r.paired} if result.paired else {}),
        }
        for r in table_rows(result)
    ]
    return pl.DataFrame(out)


def row_kinds(result: Result) -> list[str]:
    """Per table row: 'regression', 'improvement', 'inconclusive', 'pooled' or '' (for highlighting)."""
    return [r.kind for r in table_rows(result)]


# The page's grid holds what fits a screen at 1280 px (the family, its verdict first so regressions stand out, both
# rates and the change); the ratio and the tests of the selected row are a sentence below it (`details`), and the
# CSV holds every column. Verdicts are marked with plain text (▲, ▼, ?), never an emoji a browser may lack.
GRID_COLUMNS = ("family", "verdict", "A", "B", "B − A")


@reused()
def grid(result: Result) -> pl.DataFrame:
    """The page's table: one line per `table_rows` row, the columns of GRID_COLUMNS (sides named in the caption)."""
    rows = table_rows(result)
    values = ([r.label for r in rows], [r.verdict for r in rows], [r.rate_a for r in rows], [r.rate_b for r in rows])
    return pl.DataFrame(dict(zip(GRID_COLUMNS, [*values, [r.change for r in rows]], strict=True)))


def details(result: Result) -> list[str]:
    """Per `table_rows` row, the words the grid leaves out: the ratio, the test and the paired test."""
    return [
        f"{r.label}: A/B {r.ratio}; {r.test}" + (f"; paired: {r.paired}" if result.paired else "")
        for r in table_rows(result)
    ]


def _pct(k: int, n: int) -> str:
    return f"{fmt.pct(k / n)} (n={n:,})"


def change(row: Row) -> str:
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
            sentences.append(f"Held-out family '{row.family}': {change(row)}.")
    return " ".join(sentences)


def series_names(a: Side, b: Side) -> tuple[str, str]:
    """Legend names for the two training series (a run = snapshot × intervention)."""
    same_snapshot = a.snapshot == b.snapshot
    name = (lambda s: s.intervention) if same_snapshot else (lambda s: f"{s.snapshot} · {s.intervention}")
    name_a, name_b = name(a), name(b)
    if name_a == name_b:  # same run on both sides (checkpoints differ): one series
        return f"A/B: {name_a}", f"A/B: {name_b}"
    return f"A: {name_a}", f"B: {name_b}"


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
        f"Gap at {first['checkpoint_name']}: {format_points(first['diff'], first['lo'], first['hi'])}"
    )
    if len(rows) > 1:
        text += f"; at {last['checkpoint_name']}: {format_points(last['diff'], last['lo'], last['hi'])}"
        if last["significant"]:
            text += f" — the {'gain' if last['diff'] < 0 else 'regression'} lasts to the final checkpoint."
        elif last["call"] == Call.INCONCLUSIVE:
            text += " — inconclusive at the final checkpoint (the test and the interval disagree)."
        else:
            text += " — no significant difference at the final checkpoint."
    return text + ("" if text.endswith(".") else ".")
