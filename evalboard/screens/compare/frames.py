"""Compare's chart frames: what `charts.side_by_side_rates`, `difference_forest` and `rate_lines` draw."""

from __future__ import annotations

import polars as pl

from evalboard.core.memo import reused
from evalboard.core.stats import (
    format_points,
    with_intervals,
)
from evalboard.screens.compare.result import Result, Side, run_counts
from evalboard.screens.compare.text import series_names, table_rows


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
    for shown in table_rows(result):  # the table's rows, in its order
        row, c = shown.row, shown.row.comparison
        if c.has_samples:
            out.append(
                {
                    "family": row.label,
                    "diff": c.diff,
                    "lo": c.diff_lo,
                    "hi": c.diff_hi,
                    "verdict": shown.verdict,
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


@reused()
def training_series(cells: pl.DataFrame, a: Side, b: Side) -> pl.DataFrame:
    """A's and B's runs at every checkpoint, shaped for `charts.rate_lines` (`intervention` = series name)."""
    name_a, name_b = series_names(a, b)
    frames = [run_counts(cells, a.snapshot, a.intervention).with_columns(intervention=pl.lit(name_a))]
    if name_b != name_a:
        frames.append(run_counts(cells, b.snapshot, b.intervention).with_columns(intervention=pl.lit(name_b)))
    return with_intervals(pl.concat(frames)).sort("stage_rank", "stage_step", "intervention")
