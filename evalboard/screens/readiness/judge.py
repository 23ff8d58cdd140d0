"""Readiness, what was decided: a candidate judged under the gates (with any override), and the history of
verdicts across snapshots. Used by pages/readiness.py and `evalboard readiness`, so both give the same answer.
No Streamlit here."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evalboard.core import urls
from evalboard.core.memo import reused
from evalboard.data.store import LeftOut
from evalboard.screens.calibration import correct
from evalboard.screens.readiness.catalog import Candidate, Catalog, Counts, candidate, previous_candidate
from evalboard.screens.readiness.gates import (
    Gates,
    GatesError,
    default_gates_file,
    describe_unknown_families,
    gates_file,
    override_gate,
    unknown_families,
)
from evalboard.screens.readiness.rules import (
    Check,
    Overall,
    Reason,
    Status,
    Verdict,
    corrected_verdict,
    overall,
    verdicts_for,
)

OVERRIDE_KEYS = urls.OVERRIDE_KEYS  # gate keys a URL or the CLI may override
GATES_KEY = urls.GATES_KEY  # a gates file beside the default one, by name (`gate_choices`)
URL_KEYS = urls.READINESS_KEYS  # the Readiness page's own URL keys


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

    Other named families the data lacks are not errors: the report lists them (`text.coverage_notes`), and those with
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
    left_out: tuple[LeftOut, ...] = ()  # files of the dataset not read: the verdict rests on partial data

    @property
    def partial(self) -> bool:
        """True when files of the dataset were left out: no caller may state this verdict without saying so."""
        return bool(self.left_out)

    @property
    def status(self) -> Status:
        return self.overall.status

    @property
    def exit_code(self) -> int:
        return self.overall.exit_code


@reused(maxsize=16)  # equal inputs, equal report: a rerun or another visitor reuses it (callers must not mutate it)
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
    for family, c in counts.items():  # gates on the rate corrected for grader error (docs/ARCHITECTURE.md)
        gate = gates.for_family(family)
        if gate.rate == "corrected" and family in verdicts and catalog.calibration is not None:
            corrected = correct(catalog.calibration, catalog.source, c.k, c.n, gate.confidence)
            verdicts[family] = corrected_verdict(verdicts[family], corrected)
    absent = tuple(unknown_families(gates, catalog.families))
    for family in absent:  # a required family without samples keeps the snapshot from READY
        gate = gates.for_family(family)
        if gate.required:
            reason = Reason(Check.ABSENT, gates_file=gates_file(gates))
            verdicts[family] = Verdict(
                Status.INSUFFICIENT_DATA, reason, 0, 0, None, None, gate, family, None, gate.min_samples
            )
    ungraded = sum(c.ungraded for c in counts.values())
    verdict = overall(verdicts)
    if ungraded and not any(c.n for c in counts.values()):  # say it plainly: nothing is graded
        verdict = dataclasses.replace(verdict, status=Status.INSUFFICIENT_DATA, ungraded=ungraded)
        for family, c in counts.items():
            if family in verdicts and c.ungraded:
                reason = Reason(Check.NOTHING_GRADED, ungraded=c.ungraded)
                verdicts[family] = dataclasses.replace(verdicts[family], reason=reason)
    return Report(
        current,
        previous,
        note,
        gates,
        verdicts,
        counts,
        before,
        verdict,
        dict(overrides),
        catalog.held_out,
        absent,
        catalog.left_out,
    )


@reused(maxsize=16)
def history(catalog: Catalog, gates: Gates, intervention: str | None = None) -> list[Report]:
    """One report per snapshot, newest first: at `intervention` where the snapshot ran it, else its default. Reused
    for equal inputs (every visit to Readiness judges every snapshot again otherwise); callers must not mutate it."""
    reports = []
    for snapshot in catalog.snapshots:
        names = catalog.interventions(snapshot)
        chosen = intervention if intervention in names else None
        reports.append(_judge(catalog, candidate(catalog, snapshot, chosen), gates, {}))
    return reports
