"""Release readiness over the store: which checkpoint is a snapshot's release candidate, its counts per
scenario family, the previous snapshot to check for regressions, the verdicts, the history of verdicts across
snapshots and the exports (CSV, Markdown, JSON, plain text). Used by pages/readiness.py and the
`evalboard readiness` command, so both give the same answer. No Streamlit here.

A snapshot's release candidate is one intervention at its final checkpoint (last training stage in the order
pretrained < sft < rl < others, then the largest stage_step). The default intervention is the snapshot's newest
run (latest created_at). The previous snapshot is the one whose samples end before this one's; it is compared at
the same intervention, or at its own default candidate when it never ran that intervention.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from evalboard import fmt
from evalboard.gates import (
    Gate,
    Gates,
    GatesError,
    absence_note,
    default_gates_file,
    describe_unknown_families,
    override_gate,
    unknown_families,
)
from evalboard.readiness import Overall, Status, Verdict, overall, regression_check, verdicts_for
from evalboard.stats import Call, format_points
from evalboard.store import Store
from evalboard.view import PRIMARY

OVERRIDE_KEYS = ("max_rate", "min_samples", "confidence")  # gate keys a URL or the CLI may override


class ReleaseError(ValueError):
    """Bad input other than the gates file: unknown snapshot or intervention, a dataset with no samples."""


@dataclass(frozen=True)
class Candidate:
    """One shippable checkpoint: a snapshot's intervention at its final checkpoint."""

    snapshot: str
    intervention: str
    training_stage: str
    stage_step: int
    default: bool = False  # the snapshot's newest run

    @property
    def checkpoint(self) -> str:
        """'rl@1000'."""
        return f"{self.training_stage}@{self.stage_step}"

    @property
    def label(self) -> str:
        """'atlas-2026-11 · constitution_stories+harmlessness · rl@1000'."""
        return f"{self.snapshot} · {self.intervention} · {self.checkpoint}"

    def transcripts_link(self, family: str) -> dict[str, str]:
        """Query parameters of /transcripts showing this candidate's harmful transcripts of one family."""
        return {
            "snapshot": self.snapshot,
            "intervention": self.intervention,
            "stage": self.training_stage,
            "step": str(self.stage_step),
            "family": family,
            "verdict": "harmful",
        }


@dataclass(frozen=True)
class Counts:
    """Graded samples (n), harmful among them (k), and samples without a verdict (left out of n)."""

    k: int = 0
    n: int = 0
    ungraded: int = 0


@dataclass(frozen=True)
class Catalog:
    """What the dataset offers for release decisions: snapshots newest first, their candidates (newest run first)
    and the per-family counts at every candidate."""

    snapshots: tuple[str, ...]
    candidates: Mapping[str, tuple[Candidate, ...]]
    families: tuple[str, ...]
    counts: Mapping[tuple[str, str], Mapping[str, Counts]] = field(default_factory=dict)
    held_out: tuple[str, ...] = ()
    # (snapshot, intervention, awareness source) → per-family counts among believed-real transcripts, and the
    # sources, most labels first (for gates with rate = "believed_real").
    real_counts: Mapping[tuple[str, str, str], Mapping[str, Counts]] = field(default_factory=dict)
    awareness_sources: tuple[str, ...] = ()

    def interventions(self, snapshot: str) -> list[str]:
        """The snapshot's interventions, newest run first."""
        return [c.intervention for c in self.candidates.get(snapshot, ())]

    def counts_at(self, candidate: Candidate) -> dict[str, Counts]:
        """Counts for every family of the dataset at the candidate (zeros where it has none)."""
        found = self.counts.get((candidate.snapshot, candidate.intervention), {})
        return {family: found.get(family, Counts()) for family in self.families}

    def gated_counts(self, candidate: Candidate, gates: Gates) -> dict[str, Counts]:
        """Counts per family as each family's gate asks: all graded transcripts, or only believed-real ones."""
        counts = self.counts_at(candidate)
        for family in counts:
            gate = gates.for_family(family)
            if gate.rate == "believed_real":
                source = gate.awareness_source or (self.awareness_sources[0] if self.awareness_sources else "")
                found = self.real_counts.get((candidate.snapshot, candidate.intervention, source), {})
                counts[family] = found.get(family, Counts())
        return counts


def load_catalog(store: Store, source: str = PRIMARY) -> Catalog:
    """Read the candidates and their counts under verdict `source` from the store (cached queries over the dataset)."""
    health = store.refresh()
    if not health.has_samples:
        where = "does not exist" if not health.exists else "holds no readable samples/*.parquet files"
        raise ReleaseError(f"no eval data: the dataset folder {health.root} {where}")
    known = store.run("verdict_sources").get_column("source").to_list()
    if source != PRIMARY and source not in known:
        raise ReleaseError(f"no verdict source {source!r} in {health.root}; it has: {', '.join([PRIMARY, *known])}")
    rows = store.run("readiness_candidates").to_dicts()
    snapshots: list[str] = []
    by_snapshot: dict[str, list[Candidate]] = {}
    for row in rows:  # ordered: newest snapshot first, newest run first within it
        snapshot = row["snapshot"]
        if snapshot not in by_snapshot:
            snapshots.append(snapshot)
            by_snapshot[snapshot] = []
        default = not by_snapshot[snapshot]
        by_snapshot[snapshot].append(
            Candidate(snapshot, row["intervention"], row["training_stage"], int(row["stage_step"]), default)
        )
    finals = {(c.snapshot, c.intervention, c.training_stage, c.stage_step) for cs in by_snapshot.values() for c in cs}
    counts: dict[tuple[str, str], dict[str, Counts]] = {}
    families: set[str] = set()
    for row in store.run("readiness_counts", {"source": source}).to_dicts():
        families.add(row["scenario_family"])
        if (row["snapshot"], row["intervention"], row["training_stage"], row["stage_step"]) in finals:
            counts.setdefault((row["snapshot"], row["intervention"]), {})[row["scenario_family"]] = Counts(
                int(row["k"]), int(row["n"]), int(row["ungraded"])
            )
    real: dict[tuple[str, str, str], dict[str, Counts]] = {}
    for row in store.run("readiness_believed_real", {"source": source}).to_dicts():
        if (row["snapshot"], row["intervention"], row["training_stage"], row["stage_step"]) in finals:
            real.setdefault((row["snapshot"], row["intervention"], row["source"]), {})[row["scenario_family"]] = Counts(
                int(row["k"]), int(row["n"]), int(row["ungraded"])
            )
    sources = tuple(store.run("awareness_sources").get_column("source").to_list())
    held_out = tuple(health.manifest.held_out_families)
    ordered = sorted(families, key=lambda f: (f in held_out, f))  # held-out families last
    candidates = {s: tuple(c) for s, c in by_snapshot.items()}
    return Catalog(tuple(snapshots), candidates, tuple(ordered), counts, held_out, real, sources)


# --- choosing what to judge ----------------------------------------------------------------------------------


_did_you_mean = fmt.did_you_mean


def pick_snapshot(catalog: Catalog, selected: Sequence[str] = ()) -> tuple[str, str | None]:
    """The snapshot to judge from the sidebar's selection: the one selected, else the newest of several selected,
    else the newest overall; with a note when a choice was made for the user."""
    chosen = [s for s in catalog.snapshots if s in set(selected)]  # newest first
    if len(chosen) == 1:
        return chosen[0], None
    if chosen:
        return chosen[0], f"{len(chosen)} snapshots are selected in the sidebar; judging the newest of them."
    return catalog.snapshots[0], None


def candidate(catalog: Catalog, snapshot: str, intervention: str | None = None) -> Candidate:
    """The release candidate of `snapshot` for `intervention` (default: its newest run); ReleaseError if unknown."""
    if snapshot not in catalog.candidates:
        shown = ", ".join(catalog.snapshots)
        raise ReleaseError(
            f"unknown snapshot '{snapshot}'{_did_you_mean(snapshot, catalog.snapshots)}; the data holds: {shown}"
        )
    runs = catalog.candidates[snapshot]
    if intervention is None:
        return runs[0]
    for run in runs:
        if run.intervention == intervention:
            return run
    names = [r.intervention for r in runs]
    raise ReleaseError(
        f"snapshot '{snapshot}' has no intervention '{intervention}'{_did_you_mean(intervention, names)}; "
        f"it has: {', '.join(names)}"
    )


def previous_candidate(catalog: Catalog, current: Candidate) -> tuple[Candidate | None, str]:
    """The candidate to check for regressions against, and a sentence saying which one and why."""
    order = list(catalog.snapshots)
    older = order[order.index(current.snapshot) + 1 :]
    if not older:
        return None, f"{current.snapshot} is the first snapshot in the data; there is nothing to regress from."
    before = older[0]
    runs = catalog.candidates[before]
    same = next((r for r in runs if r.intervention == current.intervention), None)
    if same is not None:
        return same, f"Regression check against the previous snapshot at the same intervention: {same.label}."
    fallback = runs[0]
    return fallback, (
        f"Regression check against the previous snapshot's default candidate {fallback.label}, because "
        f"{before} has no {current.intervention} run."
    )


# --- gates --------------------------------------------------------------------------------------------------


def parse_override_value(key: str, raw: object) -> object:
    """A URL/CLI string as the number it spells ('0.1' → 0.1, '200' → 200); anything else is left for
    `override_gate` to reject with a message naming the value."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def apply_overrides(gates: Gates, values: Mapping[str, object], source: str = "override") -> Gates:
    """The gates with some keys replaced for every family (e.g. `max_rate=0.1` from the URL); GatesError if bad."""
    unknown = [k for k in values if k not in OVERRIDE_KEYS]
    if unknown:
        raise GatesError(f"{source}: cannot override {', '.join(unknown)}; allowed: {', '.join(OVERRIDE_KEYS)}")
    parsed = {k: parse_override_value(k, v) for k, v in values.items()}
    if not parsed:
        return gates
    default = override_gate(gates.default, parsed, source)
    families = {name: override_gate(gate, parsed, source) for name, gate in gates.families.items()}
    return Gates(default, families, gates.source)


def check_families(gates: Gates, catalog: Catalog) -> None:
    """GatesError when the gates file names a family that looks like a misspelling of one the dataset holds.

    Other named families the data lacks are not errors: the report lists them (`coverage_notes`), and those with
    `required = true` are judged INSUFFICIENT DATA."""
    message = describe_unknown_families(gates, catalog.families)
    if message:
        raise GatesError(message)
    check_awareness(gates, catalog)


def check_awareness(gates: Gates, catalog: Catalog) -> None:
    """GatesError when a gate asks for the believed-real rate and the dataset has no such labels (or source)."""
    wanted = {g.awareness_source for g in (gates.default, *gates.families.values()) if g.rate == "believed_real"}
    if not wanted:
        return
    if not catalog.awareness_sources:
        raise GatesError(
            f'{gates.source}: a gate asks for the believed-real rate (rate = "believed_real"), but the dataset has '
            "no eval-awareness labels (awareness/*.parquet)"
        )
    unknown = sorted(w for w in wanted if w and w not in catalog.awareness_sources)
    if unknown:
        raise GatesError(
            f"{gates.source}: unknown awareness_source {', '.join(repr(u) for u in unknown)}; "
            f"the data has: {', '.join(catalog.awareness_sources)}"
        )


def gate_choices(default: Path | None = None) -> list[Path]:
    """Gates files a page may offer: the default file (`gates.default_gates_file`) first, then other
    gates*.toml files beside it."""
    default = default or default_gates_file()
    others = sorted(p for p in default.parent.glob("gates*.toml") if p.name != default.name and p.is_file())
    return [default, *others]


# --- judging ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Everything a page, a release note or a pipeline needs about one candidate's readiness."""

    candidate: Candidate
    previous: Candidate | None
    previous_note: str
    gates: Gates
    verdicts: Mapping[str, Verdict]
    counts: Mapping[str, Counts]
    previous_counts: Mapping[str, Counts]
    overall: Overall
    overrides: Mapping[str, object] = field(default_factory=dict)
    held_out: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # families the gates name that the dataset does not hold

    @property
    def status(self) -> Status:
        return self.overall.status

    @property
    def exit_code(self) -> int:
        return self.overall.exit_code


def judge(
    catalog: Catalog,
    snapshot: str,
    gates: Gates,
    intervention: str | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Report:
    """Verdicts for the snapshot's candidate (ReleaseError for an unknown snapshot/intervention).

    `gates` should already carry `overrides`; they are kept only to be shown.
    """
    current = candidate(catalog, snapshot, intervention)
    shown = {key: parse_override_value(key, value) for key, value in (overrides or {}).items()}
    return _judge(catalog, current, gates, shown)


def _judge(catalog: Catalog, current: Candidate, gates: Gates, overrides: Mapping[str, object]) -> Report:
    previous, note = previous_candidate(catalog, current)
    counts = catalog.gated_counts(current, gates)
    before = catalog.gated_counts(previous, gates) if previous else {}
    verdicts = verdicts_for(
        {f: (c.k, c.n) for f, c in counts.items()}, gates, {f: (c.k, c.n) for f, c in before.items() if c.n}
    )
    absent = tuple(unknown_families(gates, catalog.families))
    for family in absent:  # a required family without samples keeps the snapshot from READY
        gate = gates.for_family(family)
        if gate.required:
            reason = absence_note(gates, family)
            verdicts[family] = Verdict(
                Status.INSUFFICIENT_DATA, reason, 0, 0, None, None, gate, family, None, gate.min_samples
            )
    return Report(
        current,
        previous,
        note,
        gates,
        verdicts,
        counts,
        before,
        overall(verdicts),
        dict(overrides),
        catalog.held_out,
        absent,
    )


def coverage_notes(report: Report) -> list[str]:
    """One sentence per family the gates name that the data lacks (the page and the CLI show these)."""
    return [absence_note(report.gates, family) for family in report.absent]


def history(catalog: Catalog, gates: Gates, intervention: str | None = None) -> list[Report]:
    """One report per snapshot, newest first: at `intervention` where the snapshot ran it, else its default."""
    reports = []
    for snapshot in catalog.snapshots:
        names = catalog.interventions(snapshot)
        chosen = intervention if intervention in names else None
        reports.append(_judge(catalog, candidate(catalog, snapshot, chosen), gates, {}))
    return reports


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
            "reason": v.reason,
        }
        for r in reports
        for family, v in r.verdicts.items()
    ]
    schema = {
        "snapshot": pl.String, "candidate": pl.String, "family": pl.String, "status": pl.String, "k": pl.Int64,
        "n": pl.Int64, "rate": pl.Float64, "lo": pl.Float64, "hi": pl.Float64, "reason": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


# --- wording ------------------------------------------------------------------------------------------------


pct = fmt.pct  # '6.7%', '0.31%', '–'


def _about(m: int) -> str:
    """'50 more', 'about 1,300 more'."""
    return f"{fmt.about(m)} more"


def interval(v: Verdict) -> str:
    """'1.8%–16.2%' or '–'."""
    return "–" if v.lo is None or v.hi is None else f"{pct(v.lo)}–{pct(v.hi)}"


def gate_text(gate: Gate) -> str:
    """'≤ 5.0%, n ≥ 200' (the confidence and regression rule go in the header)."""
    return f"≤ {pct(gate.max_rate)}, n ≥ {gate.min_samples}{gate.rate_note()}"


def family_name(report: Report, family: str) -> str:
    return fmt.held_out(family, report.held_out)


def regression_text(report: Report, family: str) -> str:
    """What the regression check found for one family, in a few words."""
    v = report.verdicts[family]
    if not v.gate.must_not_regress:
        return "not checked (must_not_regress = false)"
    if report.previous is None:
        return "no previous snapshot"
    before = report.previous_counts.get(family, Counts())
    if before.n == 0:
        return f"no samples in {report.previous.snapshot}"
    if v.n == 0:
        return f"{before.k}/{before.n} in {report.previous.snapshot}; no samples now"
    # The verdict skips the check when the gate alone already fails; the change is still worth showing.
    if v.regression is not None and v.regression_call is not None:
        (d, lo, hi), call = v.regression, v.regression_call
    else:
        (d, lo, hi), call = regression_check(before.k, before.n, v.k, v.n, v.gate.confidence)
    verdict = REGRESSION_WORDS[call]
    return f"{verdict}: {before.k}/{before.n} → {v.k}/{v.n}, {format_points(d, lo, hi)}"


REGRESSION_WORDS = {  # the Readiness wording of each `stats.Call`
    Call.HIGHER: "significant rise",
    Call.LOWER: "significant fall",
    Call.INCONCLUSIVE: "inconclusive (the test and the interval disagree)",
    Call.NO_CHANGE: "no significant change",
    Call.UNTESTED: "no test",
}


def gates_summary(report: Report) -> str:
    """'gates.toml, 95% exact (Clopper–Pearson) intervals; overridden: max_rate = 0.1'."""
    levels = sorted({v.gate.confidence for v in report.verdicts.values()}) or [report.gates.default.confidence]
    conf = "/".join(f"{100 * c:g}%" for c in levels)
    text = f"{report.gates.source}, {conf} exact (Clopper–Pearson) intervals"
    if report.overrides:
        text += "; overridden: " + ", ".join(f"{k} = {v}" for k, v in report.overrides.items())
    return text


def candidate_note(report: Report) -> str:
    """Why this checkpoint is the one judged."""
    which = "the snapshot's newest run" if report.candidate.default else "chosen intervention"
    return f"{which}, at its final checkpoint"


def explanation(report: Report) -> str:
    """One plain sentence under the big verdict: what decides it and what would change it."""
    verdicts = report.verdicts
    status = report.status
    if status is Status.READY:
        family, v = max(verdicts.items(), key=lambda fv: (fv[1].hi or 0) - fv[1].gate.max_rate)
        fewest = min(v.n for v in verdicts.values())
        return (
            f"Every family's exact upper bound is within its gate, with at least {fewest:,} graded samples each; "
            f"the closest is {family}, {pct(v.hi)} against {pct(v.gate.max_rate)}."
        )
    if status is Status.NOT_READY:
        text = "; ".join(f"{f}: {v.reason}" for f, v in verdicts.items() if v.status is Status.NOT_READY)
        return text[0].upper() + text[1:] + "."
    waiting = {f: v for f, v in verdicts.items() if v.status is Status.INSUFFICIENT_DATA}
    parts = []
    short = {f: v for f, v in waiting.items() if v.n < v.gate.min_samples}
    if short:
        ns = sorted({v.n for v in short.values()})
        need = sorted({v.gate.min_samples for v in short.values()})
        have = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
        noun = "family has" if len(short) == 1 else "families have"
        parts.append(
            f"{len(short)} {noun} only {have} graded samples at {report.candidate.checkpoint}, "
            f"fewer than the {'/'.join(map(str, need))} the gates require"
        )
    settle = {f: v.more_samples for f, v in waiting.items() if v.more_samples is not None}
    if settle:
        each = ", ".join(f"{f} ({_about(m)})" for f, m in sorted(settle.items(), key=lambda fm: fm[1]))
        parts.append(f"more samples at the current rates would settle {each}")
    stuck = sorted(f for f, v in waiting.items() if v.more_samples is None and v.n > 0)
    if stuck:
        parts.append(
            f"{', '.join(stuck)} {'is' if len(stuck) == 1 else 'are'} at or above the gate, so more samples at "
            "this rate cannot make it READY"
        )
    if not parts:
        return "Some families have no samples at this checkpoint."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


# --- exports: one list of rows, rendered as a frame, a display table, CSV, Markdown, JSON and text ------------


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
                "reason": v.reason,
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
                "reason": v.reason,
                "vs previous snapshot": row.vs_previous,
            }
        )
    return pl.DataFrame(rows)


def to_csv(report: Report) -> str:
    """The verdict table as CSV (numbers unformatted, empty where undefined)."""
    frame = verdict_frame(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow(["" if x is None else x for x in row])
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(report: Report) -> str:
    """A summary fit to paste in a release note: verdict, candidate, gates, one table row per family."""
    c = report.candidate
    lines = [
        f"### Release readiness: {c.snapshot} — {report.status.label}",
        "",
        f"- **Candidate:** {c.label} ({candidate_note(report)})",
        f"- **Verdict:** {report.overall.summary}",
        f"- **Why:** {explanation(report)}",
        f"- **Gates:** {gates_summary(report)}",
        f"- **Regression check:** {report.previous_note}",
        *(f"- **Not in the data:** {n}" for n in coverage_notes(report)),
        "",
        "| Family | Verdict | Harmful / n | Rate | Exact CI | Gate | Reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in family_rows(report):
        name, label, *numbers = row.cells()
        cells = [name, f"**{label}**", *numbers, row.verdict.reason]
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
                "reason": v.reason,
                "more_samples_needed": row.more_samples,
                "previous": None if before is None or report.previous is None else {"k": before.k, "n": before.n},
                "regression": None
                if v.regression is None
                else dict(zip(("change", "low", "high"), map(num, v.regression), strict=True)),
            }
        )
    return {
        "snapshot": report.candidate.snapshot,
        "candidate": cand(report.candidate),
        "status": report.status.value,
        "verdict": report.status.label,
        "summary": report.overall.summary,
        "explanation": explanation(report),
        "exit_code": report.exit_code,
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
        report.overall.summary,
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
        out.append(f"    {row.verdict.reason}")
        if report.previous is not None and row.verdict.gate.must_not_regress:
            out.append(f"    vs previous: {row.vs_previous}")
    return "\n".join(out) + "\n"
