"""Readiness, how it is said: each family's reason (`reason`, from the rules' `Reason`), the overall verdict
(`summary`), intervals, gates, the regression check and the one-sentence explanation in words."""

from __future__ import annotations

from evalboard.core import fmt
from evalboard.core.stats import Call, format_points
from evalboard.screens.readiness.catalog import Counts
from evalboard.screens.readiness.gates import Gate, absence_note, absence_sentence
from evalboard.screens.readiness.judge import Report
from evalboard.screens.readiness.rules import Check, Overall, Status, Verdict, regression_check

pct = fmt.pct  # '6.7%', '0.31%', '–'


def _about(m: int) -> str:
    """'50 more', 'about 1,300 more'."""
    return f"{fmt.about(m)} more"


def _count(m: int | None) -> str:
    """'50', 'about 310', 'about 1,300', or 'an unknown number of'."""
    return "an unknown number of" if m is None else fmt.about(m)


def reason(v: Verdict) -> str:
    """The family's reason in one clause: which check decided its verdict, with its numbers."""
    why, gate, limit = v.reason, v.gate, v.gate.max_rate
    check = why.check
    if check is Check.NO_SAMPLES:
        return f"no samples; the gate needs at least {gate.min_samples}"
    if check is Check.ABSENT:
        return absence_sentence(v.family, why.gates_file, gate.required)
    if check is Check.NOTHING_GRADED:
        return f"no graded samples: all {why.ungraded:,} are ungraded; the gate needs at least {gate.min_samples}"
    if v.corrected is not None and check.name.startswith("CORRECTED"):
        return _corrected_reason(v)
    assert v.lo is not None and v.hi is not None and v.rate is not None
    counts, p = f"{v.k}/{v.n} harmful", v.rate
    if check is Check.LOWER_ABOVE_GATE:
        a, b = fmt.pcts(v.lo, limit)
        return f"lower bound {a} is above the {b} gate ({counts}, {pct(p)})"
    if check is Check.REGRESSION:
        assert why.previous is not None and v.regression is not None
        k0, n0 = why.previous
        return (
            f"rate rose from {pct(k0 / n0)} to {pct(p)} since the previous snapshot "
            f"({format_points(*v.regression)}), a significant regression"
        )
    a, b = fmt.pcts(v.hi, limit)
    if check is Check.UPPER_WITHIN_GATE:
        return f"upper bound {a} is within the {b} gate ({counts})"
    if check is Check.TOO_FEW_SAMPLES:
        return (
            f"upper bound {a} is within the {b} gate, but only {v.n} of the {gate.min_samples} required samples; "
            f"{_count(v.more_samples)} more needed"
        )
    if check is Check.MORE_WOULD_SETTLE:
        more = _count(v.more_samples)
        return f"upper bound {a} exceeds the {b} gate; {more} more samples at the current rate would settle it"
    if check is Check.TOO_CLOSE:
        return (
            f"upper bound {a} exceeds the {b} gate; the observed rate {pct(p)} is so close to it that "
            "no practical number of samples would settle it"
        )
    if check is Check.AT_GATE:
        return (
            f"upper bound {a} exceeds the {b} gate; the observed rate equals the gate, "
            "so more samples at this rate cannot settle it"
        )
    assert check is Check.ABOVE_GATE_UNSETTLED, check
    tail = f"; {_count(why.confirm)} more would show it is not ready" if why.confirm is not None else ""
    return (
        f"observed rate {pct(p)} is above the {b} gate but the lower bound {pct(v.lo)} is not, "
        f"so more samples at this rate cannot make it ready{tail}"
    )


def _corrected_reason(v: Verdict) -> str:
    """A gate with rate = "corrected": the reason on the rate corrected for grader error."""
    corrected, gate, check = v.corrected, v.gate, v.reason.check
    assert corrected is not None
    if check is Check.CORRECTED_UNAVAILABLE:
        return f"the gate judges the corrected rate, and it is {corrected.describe()}"
    assert corrected.lo is not None and corrected.hi is not None
    shown = f"corrected rate {corrected.describe()}, raw {v.k}/{v.n}"
    if check is Check.CORRECTED_LOWER_ABOVE_GATE:
        a, b = fmt.pcts(corrected.lo, gate.max_rate)
        return f"corrected lower bound {a} is above the {b} gate ({shown})"
    a, b = fmt.pcts(corrected.hi, gate.max_rate)
    if check is Check.CORRECTED_UPPER_WITHIN_GATE:
        return f"corrected upper bound {a} is within the {b} gate ({shown})"
    short = f"; only {v.n} of the {gate.min_samples} required samples" if v.n < gate.min_samples else ""
    return (
        f"corrected upper bound {a} {'is within' if corrected.hi <= gate.max_rate else 'exceeds'} the {b} gate "
        f"({shown}){short}; more samples or calibration reviews would narrow it"
    )


def nothing_graded(ungraded: int) -> str:
    """'all 200 samples at the candidate are ungraded' — no verdict (harmful empty): a grader error, or none ran."""
    return f"all {ungraded:,} samples at the candidate are ungraded"


def headline(overall: Overall) -> str:
    """The overall verdict's sentence, without its label: '1 of 4 families fails its gate (blackmail).'"""
    total = len(overall.families)
    if total == 0:
        return "there are no scenario families to judge."
    if overall.ungraded:
        return f"nothing is graded ({nothing_graded(overall.ungraded)})."

    def names(status: Status) -> str:
        found = overall.named(status)
        return f" ({', '.join(found)})" if found else ""

    ready, failing = overall.count(Status.READY), overall.count(Status.NOT_READY)
    waiting = total - ready - failing
    families = "family" if total == 1 else "families"
    if overall.status is Status.NOT_READY:
        verb = "fails its gate" if failing == 1 else "fail their gates"
        return f"{failing} of {total} {families} {verb}{names(Status.NOT_READY)}."
    if overall.status is Status.READY:
        within = "the family is within its gate" if total == 1 else f"all {total} families are within their gates"
        return f"{within}{names(Status.READY) if total == 1 else ''}."
    need = "needs" if waiting == 1 else "need"
    return f"{ready} of {total} {families} pass; {waiting} {need} more data{names(Status.INSUFFICIENT_DATA)}."


def summary(overall: Overall) -> str:
    """The overall verdict in one line, its label first: 'NOT READY: 1 of 4 families fails its gate (blackmail).'"""
    return f"{overall.status.label}: {headline(overall)}"


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
    return f"{report.gates.source}, {gates_terms(report)}"


def gates_terms(report: Report) -> str:
    """What the gates are judged with, without the file: '95% exact (Clopper–Pearson) intervals; overridden: …'."""
    levels = sorted({v.gate.confidence for v in report.verdicts.values()}) or [report.gates.default.confidence]
    conf = "/".join(f"{100 * c:g}%" for c in levels)
    text = f"{conf} exact (Clopper–Pearson) intervals"
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
        # Family names as written (never capitalised): the page quotes each one the same way.
        return "; ".join(f"{f}: {reason(v)}" for f, v in verdicts.items() if v.status is Status.NOT_READY) + "."
    waiting = {f: v for f, v in verdicts.items() if v.status is Status.INSUFFICIENT_DATA}
    ungraded = sum(c.ungraded for c in report.counts.values())
    if ungraded and not any(c.n for c in report.counts.values()):
        return (
            f"Nothing is graded at {report.candidate.checkpoint_name}: all {ungraded:,} samples have no verdict "
            "(harmful is empty: the grader failed or never ran), so no rate can be judged. Grade them, or pick a "
            "verdict source that graded them."
        )
    parts = []
    short = {f: v for f, v in waiting.items() if v.n < v.gate.min_samples}
    if short:
        ns = sorted({v.n for v in short.values()})
        need = sorted({v.gate.min_samples for v in short.values()})
        have = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
        noun = "family has" if len(short) == 1 else "families have"
        parts.append(
            f"{len(short)} {noun} only {have} graded samples at {report.candidate.checkpoint_name}, "
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


def coverage_notes(report: Report) -> list[str]:
    """One clause per family the gates name that the data lacks (the exports and the CLI show these)."""
    return [absence_note(report.gates, family) for family in report.absent]


def coverage_sentences(report: Report) -> list[str]:
    """The same notes as sentences, for the page: 'No samples for murder — required by gates.toml.'"""
    return [note[0].upper() + note[1:] + "." for note in coverage_notes(report)]


def partial_note(report: Report) -> str:
    """'' on complete data; else one sentence saying the verdict rests on partial data, and how partial."""
    if not report.partial:
        return ""
    n = len(report.left_out)
    files = "1 file of the dataset was" if n == 1 else f"{n} files of the dataset were"
    return f"PARTIAL DATA: {files} left out (could not be read); this verdict counts only the rest and may be wrong."
