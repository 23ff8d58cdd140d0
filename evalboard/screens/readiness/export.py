"""Readiness exports: one list of rows per report (`family_rows`), rendered as the numeric frame, the display
table, CSV, Markdown, JSON and text; and the history frame."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from evalboard.core.fmt import csv_text
from evalboard.screens.readiness.catalog import Candidate, Counts
from evalboard.screens.readiness.gates import (
    absence_note,
)
from evalboard.screens.readiness.judge import Report
from evalboard.screens.readiness.rules import Status, Verdict
from evalboard.screens.readiness.text import (
    candidate_note,
    coverage_notes,
    explanation,
    family_name,
    gate_text,
    gates_summary,
    interval,
    partial_note,
    pct,
    reason,
    regression_text,
    summary,
)


@dataclass(frozen=True)
class FamilyRow:
    """One family of a report, worked out once; every export below renders these rows."""

    family: str
    name: str  # as shown: 'sabotage (held-out)'
    held_out: bool
    verdict: Verdict
    ungraded: int
    previous: Counts | None  # the previous snapshot's counts for this family, None when it has none
    vs_previous: str  # `regression_text`

    @property
    def harmful_n(self) -> str:
        return f"{self.verdict.k}/{self.verdict.n}"

    @property
    def more_samples(self) -> int | None:
        v = self.verdict
        return v.more_samples if v.status is Status.INSUFFICIENT_DATA else None

    def cells(self) -> list[str]:
        """Family, verdict, harmful/n, rate, exact CI, gate: the columns the Markdown and text tables share."""
        v = self.verdict
        return [self.name, v.status.label, self.harmful_n, pct(v.rate), interval(v), gate_text(v.gate)]


def family_rows(report: Report) -> list[FamilyRow]:
    """The report's families in table order, each with everything an export shows."""
    return [
        FamilyRow(
            family,
            family_name(report, family),
            family in report.held_out,
            v,
            report.counts.get(family, Counts()).ungraded,
            report.previous_counts.get(family),
            regression_text(report, family),
        )
        for family, v in report.verdicts.items()
    ]


def verdict_frame(report: Report) -> pl.DataFrame:
    """The verdict table with numbers as numbers (for CSV): one row per family."""
    c = report.candidate
    rows = []
    for row in family_rows(report):
        v, before = row.verdict, row.previous or Counts()
        d, dlo, dhi = v.regression if v.regression else (None, None, None)
        rows.append(
            {
                "snapshot": c.snapshot,
                "intervention": c.intervention,
                "training_stage": c.training_stage,
                "stage_step": c.stage_step,
                "family": row.family,
                "held_out": row.held_out,
                "verdict": v.status.label,
                "harmful": v.k,
                "n": v.n,
                "ungraded": row.ungraded,
                "rate": v.rate,
                "ci_low": v.lo,
                "ci_high": v.hi,
                "confidence": v.gate.confidence,
                "max_rate": v.gate.max_rate,
                "min_samples": v.gate.min_samples,
                "must_not_regress": v.gate.must_not_regress,
                "more_samples_needed": row.more_samples,
                "previous_candidate": report.previous.label if report.previous else None,
                "previous_harmful": before.k if report.previous else None,
                "previous_n": before.n if report.previous else None,
                "change": d,
                "change_low": dlo,
                "change_high": dhi,
                "reason": reason(v),
                "partial_data": report.partial,
                "files_left_out": len(report.left_out),
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def verdict_display(report: Report) -> pl.DataFrame:
    """The verdict table as a reader sees it: words and percentages, one row per family."""
    rows = []
    for row in family_rows(report):
        v = row.verdict
        rows.append(
            {
                "family": row.name,
                "verdict": v.status.label,
                "harmful / n": row.harmful_n + (f" (+{row.ungraded} ungraded)" if row.ungraded else ""),
                f"rate [{100 * v.gate.confidence:g}% exact CI]": f"{pct(v.rate)} [{interval(v)}]" if v.n else "–",
                "gate": gate_text(v.gate),
                "reason": reason(v),
                "vs previous snapshot": row.vs_previous,
            }
        )
    return pl.DataFrame(rows)


def to_csv(report: Report) -> str:
    """The verdict table as CSV (numbers unformatted, empty where undefined)."""
    frame = verdict_frame(report)
    return csv_text(frame.columns, frame.iter_rows())


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(report: Report, data_version: str = "") -> str:
    """A summary fit to paste in a release note: verdict, candidate, gates, one table row per family; `data_version`
    (e.g. "as of version 41, 2026-12-03 14:02 UTC; the newest") names the Delta table version judged."""
    c = report.candidate
    partial = " (ON PARTIAL DATA)" if report.partial else ""
    lines = [
        f"### Release readiness: {c.snapshot} — {report.status.label}{partial}",
        "",
        *([f"- **{partial_note(report)}**"] if report.partial else []),
        *(f"  - Left out: {_md(str(f))}" for f in report.left_out),
        f"- **Candidate:** {c.label} ({candidate_note(report)})",
        f"- **Verdict:** {summary(report.overall)}",
        f"- **Why:** {explanation(report)}",
        f"- **Gates:** {gates_summary(report)}",
        f"- **Regression check:** {report.previous_note}",
        *([f"- **Data:** {_md(data_version)}"] if data_version else []),
        *(f"- **Not in the data:** {n}" for n in coverage_notes(report)),
        "",
        "| Family | Verdict | Harmful / n | Rate | Exact CI | Gate | Reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in family_rows(report):
        name, label, *numbers = row.cells()
        cells = [name, f"**{label}**", *numbers, reason(row.verdict)]
        lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
    lines += [
        "",
        "_Rates count graded samples only; READY needs the exact upper bound within the gate and enough samples._",
    ]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict:
    """A JSON-ready dict of the report (no NaN: undefined numbers are null)."""

    def num(x: float | None) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else x

    def cand(x: Candidate | None) -> dict | None:
        if x is None:
            return None
        return {
            "snapshot": x.snapshot,
            "intervention": x.intervention,
            "training_stage": x.training_stage,
            "stage_step": x.stage_step,
            "label": x.label,
            "default": x.default,
        }

    families = []
    for row in family_rows(report):
        v, before = row.verdict, row.previous
        families.append(
            {
                "family": row.family,
                "held_out": row.held_out,
                "status": v.status.value,
                "verdict": v.status.label,
                "k": v.k,
                "n": v.n,
                "ungraded": row.ungraded,
                "rate": num(v.rate),
                "ci_low": num(v.lo),
                "ci_high": num(v.hi),
                "gate": {
                    "max_rate": v.gate.max_rate,
                    "min_samples": v.gate.min_samples,
                    "confidence": v.gate.confidence,
                    "must_not_regress": v.gate.must_not_regress,
                    "required": v.gate.required,
                },
                "reason": reason(v),
                "more_samples_needed": row.more_samples,
                "previous": None if before is None or report.previous is None else {"k": before.k, "n": before.n},
                "regression": None
                if v.regression is None
                else dict(zip(("change", "low", "high"), map(num, v.regression), strict=True)),
                # The rate corrected for grader error, when the gate judged it (rate = "corrected").
                "corrected": None
                if v.corrected is None
                else {
                    "rate": num(v.corrected.estimate),
                    "ci_low": num(v.corrected.lo),
                    "ci_high": num(v.corrected.hi),
                    "reason": v.corrected.reason,
                },
            }
        )
    return {
        "snapshot": report.candidate.snapshot,
        "candidate": cand(report.candidate),
        "status": report.status.value,
        "verdict": report.status.label,
        "summary": summary(report.overall),
        "explanation": explanation(report),
        "exit_code": report.exit_code,
        "partial_data": report.partial,
        "left_out": [{"file": f.file, "table": f.table, "problem": f.problem, "held": f.held} for f in report.left_out],
        "gates": {"source": report.gates.source, "overrides": dict(report.overrides)},
        "previous": cand(report.previous),
        "previous_note": report.previous_note,
        "absent_families": [
            {"family": f, "required": report.gates.for_family(f).required, "note": absence_note(report.gates, f)}
            for f in report.absent
        ],
        "families": families,
    }


def to_text(report: Report) -> str:
    """A plain-text table for a terminal or a CI log."""
    c = report.candidate
    header = ["FAMILY", "VERDICT", "HARMFUL/N", "RATE", "EXACT CI", "GATE"]
    family = family_rows(report)
    rows = [row.cells() for row in family]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    out = [
        *([partial_note(report)] if report.partial else []),
        *(f"left out: {f}" for f in report.left_out),
        summary(report.overall),
        f"candidate: {c.label} ({candidate_note(report)})",
        explanation(report),
        f"gates: {gates_summary(report)}",
        report.previous_note,
        *(f"note: {n}" for n in coverage_notes(report)),
        "",
        line(header),
    ]
    for row, cells in zip(family, rows, strict=True):
        out.append(line(cells))
        out.append(f"    {reason(row.verdict)}")
        if report.previous is not None and row.verdict.gate.must_not_regress:
            out.append(f"    vs previous: {row.vs_previous}")
    return "\n".join(out) + "\n"


def history_frame(reports: Iterable[Report]) -> pl.DataFrame:
    """Snapshot × family rows (newest snapshot first) with status, counts, rate, bounds, candidate and reason."""
    rows = [
        {
            "snapshot": r.candidate.snapshot,
            "candidate": r.candidate.label,
            "family": family,
            "status": v.status.label,
            "k": v.k,
            "n": v.n,
            "rate": v.rate,
            "lo": v.lo,
            "hi": v.hi,
            "reason": reason(v),
        }
        for r in reports
        for family, v in r.verdicts.items()
    ]
    schema = {
        "snapshot": pl.String, "candidate": pl.String, "family": pl.String, "status": pl.String, "k": pl.Int64,
        "n": pl.Int64, "rate": pl.Float64, "lo": pl.Float64, "hi": pl.Float64, "reason": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)
