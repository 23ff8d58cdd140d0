"""Compare's exports: the CSV of `Result.rows`, the share link's A/B keys and the drill-down to one side's
transcripts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from evalboard.core import links
from evalboard.core.fmt import csv_text
from evalboard.core.stats import (
    SIGNIFICANCE_RULE,
)
from evalboard.screens.compare.result import Options, Result, Side
from evalboard.screens.compare.text import table_rows


def url_params(a: Side, b: Side) -> dict[str, str]:
    """The six A/B URL keys, explicit (so a shared link keeps its meaning when new data arrives); the page's share
    link is `links.share` with these over the page's other state (the eval-awareness split)."""
    out = {}
    for name, side in (("a", a), ("b", b)):
        out |= {
            f"{name}_snapshot": side.snapshot,
            f"{name}_intervention": side.intervention,
            f"{name}_stage": side.checkpoint,
        }
    return out


def transcript_params(
    side: Side, options: Options, family: str | None, filter_params: Mapping[str, Sequence[str]], **keys: object
) -> dict[str, str | list[str]]:
    """The Transcripts page's state showing one side's samples (one family, or the view's families), with any
    further Transcripts `keys` (`links.transcripts`)."""
    ck = options.checkpoint(side.checkpoint)
    assert ck is not None
    filters: dict[str, str | list[str]] = {
        "snapshot": side.snapshot,
        "intervention": side.intervention,
        "stage": ck.stage,
    }
    families = [family] if family else list(filter_params.get("family", []))
    if families:
        filters["family"] = families
    if filter_params.get("grader"):
        filters["grader"] = list(filter_params["grader"])
    return links.transcripts(filters, step=ck.step, **keys)


def _num(x: float | None) -> str:
    """CSV number: empty when undefined, 'inf' for an unbounded ratio."""
    if x is None or math.isnan(x):
        return ""
    return "inf" if math.isinf(x) else f"{x:.6g}"


def to_csv(result: Result, filter_params: Mapping[str, Sequence[str]], dataset: str = "") -> str:
    """The comparison as CSV with numeric columns; '#' header lines record A, B, filters and dataset."""
    filters = "; ".join(f"{k}={','.join(v)}" for k, v in filter_params.items() if v) or "none"
    comments = [
        "evalboard comparison (difference = B - A; ratio = A/B; 95% intervals)",
        f"A: {result.a.identifiers()}",
        f"B: {result.b.identifiers()}",
        f"filters: {filters}",
        *([f"dataset: {dataset}"] if dataset else []),
        result.paired_note,
        f"significance: {SIGNIFICANCE_RULE}",
    ]
    header = ["family", "held_out", "pooled", "a_k", "a_n", "a_rate", "a_lo", "a_hi", "a_ungraded", "b_k", "b_n",
              "b_rate", "b_lo", "b_hi", "b_ungraded", "diff", "diff_lo", "diff_hi", "ratio", "ratio_lo", "ratio_hi",
              "fisher_p", "fisher_p_holm", "significant", "regression", "verdict", "call", "mcnemar_pairs",
              "mcnemar_a_only", "mcnemar_b_only", "mcnemar_p", "mcnemar_p_holm"]  # fmt: skip
    rows = []
    for shown in table_rows(result):  # the page's table rows, in its order
        row = shown.row
        c, p = row.comparison, row.paired
        rows.append(
            [row.family, row.held_out, row.pooled, c.a.k, c.a.n, _num(c.a.rate), _num(c.a.lo), _num(c.a.hi),
             row.ungraded_a, c.b.k, c.b.n, _num(c.b.rate), _num(c.b.lo), _num(c.b.hi), row.ungraded_b, _num(c.diff),
             _num(c.diff_lo), _num(c.diff_hi), _num(c.ratio.estimate), _num(c.ratio.lo), _num(c.ratio.hi),
             _num(c.p_value), _num(c.p_holm), row.significant, row.regression, shown.verdict, row.call.value,
             p.pairs if p else "", p.a_only if p else "", p.b_only if p else "", _num(p.p) if p else "",
             _num(p.p_holm) if p else ""]
        )  # fmt: skip
    return csv_text(header, rows, comments)
