"""Readiness verdicts (docs/ARCHITECTURE.md): per scenario family READY / NOT READY / INSUFFICIENT DATA from
its counts, its gate and optionally the previous snapshot's counts, each with a one-sentence reason; an overall
verdict a lead reads in five seconds; the CLI's exit codes. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from evalboard.core import fmt
from evalboard.core.exit_codes import EXIT_INSUFFICIENT, EXIT_NOT_READY, EXIT_READY
from evalboard.core.stats import (
    Call,
    CorrectedRate,
    clopper_pearson,
    fisher_p,
    format_points,
    newcombe_diff,
    significance_call,
)
from evalboard.screens.readiness.gates import Gate, Gates

_MAX_TOTAL = 10**12  # beyond this many samples, "more samples" is not a practical answer


class Status(StrEnum):
    READY = "ready"
    NOT_READY = "not ready"
    INSUFFICIENT_DATA = "insufficient data"

    @property
    def label(self) -> str:
        """'READY', 'NOT READY', 'INSUFFICIENT DATA'."""
        return self.value.upper()


@dataclass(frozen=True)
class Verdict:
    """One family's verdict. lo/hi: the Clopper–Pearson interval at the gate's confidence (None when n == 0).

    `regression` is (d, lo, hi) of current − previous when that check ran, `regression_call` its significance
    call (`regression_check`); `more_samples` is the estimated
    number of extra samples at the observed rate that would settle an INSUFFICIENT DATA verdict (None if none would).
    """

    status: Status
    reason: str
    k: int
    n: int
    lo: float | None
    hi: float | None
    gate: Gate
    family: str = ""
    regression: tuple[float, float, float] | None = None
    more_samples: int | None = None
    regression_call: Call | None = None  # `stats.SIGNIFICANCE_RULE` on current − previous, when checked
    corrected: CorrectedRate | None = None  # the corrected rate a gate with rate = "corrected" judged

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None


@dataclass(frozen=True)
class Overall:
    """The snapshot's verdict and the sentence to put at the top of the page or the CLI output."""

    status: Status
    summary: str

    @property
    def exit_code(self) -> int:
        return exit_code(self.status)


def exit_code(status: Status) -> int:
    """CLI exit code: ready 0, not ready 1, insufficient data 2 (bad input, 3, is the CLI's own)."""
    return {Status.READY: EXIT_READY, Status.NOT_READY: EXIT_NOT_READY, Status.INSUFFICIENT_DATA: EXIT_INSUFFICIENT}[
        status
    ]


def family_verdict(k: int, n: int, gate: Gate, previous: tuple[int, int] | None = None, family: str = "") -> Verdict:
    """The verdict for k harmful of n samples under `gate`; `previous` = (k, n) of the previous snapshot.

    NOT READY when the exact lower bound is above the gate, or (must_not_regress) current − previous is a
    significant rise under `stats.SIGNIFICANCE_RULE` at the gate's confidence (one test per family);
    READY when the exact upper bound is at or below the gate and
    n ≥ min_samples; INSUFFICIENT DATA otherwise.
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        reason = f"no samples; the gate needs at least {gate.min_samples}"
        return Verdict(Status.INSUFFICIENT_DATA, reason, k, n, None, None, gate, family, None, gate.min_samples)
    lo, hi = clopper_pearson(k, n, gate.confidence)
    p, limit = k / n, gate.max_rate
    counts = f"{k}/{n} harmful"

    regression, call = None, None

    def verdict(status: Status, reason: str, more: int | None = None) -> Verdict:
        return Verdict(status, reason, k, n, lo, hi, gate, family, regression, more, call)

    if lo > limit:
        a, b = _pcts(lo, limit)
        return verdict(Status.NOT_READY, f"lower bound {a} is above the {b} gate ({counts}, {_pct(p)})")

    if gate.must_not_regress and previous is not None and previous[1] > 0:
        k0, n0 = previous
        regression, call = regression_check(k0, n0, k, n, gate.confidence)
        if call is Call.HIGHER:
            reason = (
                f"rate rose from {_pct(k0 / n0)} to {_pct(p)} since the previous snapshot "
                f"({format_points(*regression)}), a significant regression"
            )
            return verdict(Status.NOT_READY, reason)

    if hi <= limit and n >= gate.min_samples:
        a, b = _pcts(hi, limit)
        return verdict(Status.READY, f"upper bound {a} is within the {b} gate ({counts})")

    more = more_samples_needed(k, n, gate)
    a, b = _pcts(hi, limit)
    if hi <= limit:  # only short of min_samples
        reason = (
            f"upper bound {a} is within the {b} gate, but only {n} of the {gate.min_samples} required samples; "
            f"{_count(more)} more needed"
        )
    elif more is not None:
        reason = (
            f"upper bound {a} exceeds the {b} gate; {_count(more)} more samples at the current rate would settle it"
        )
    elif p < limit:
        reason = (
            f"upper bound {a} exceeds the {b} gate; the observed rate {_pct(p)} is so close to it that "
            "no practical number of samples would settle it"
        )
    elif p == limit:
        reason = (
            f"upper bound {a} exceeds the {b} gate; the observed rate equals the gate, "
            "so more samples at this rate cannot settle it"
        )
    else:
        confirm = samples_to_confirm_not_ready(k, n, gate)
        tail = f"; {_count(confirm)} more would show it is not ready" if confirm is not None else ""
        reason = (
            f"observed rate {_pct(p)} is above the {b} gate but the lower bound {_pct(lo)} is not, "
            f"so more samples at this rate cannot make it ready{tail}"
        )
    return verdict(Status.INSUFFICIENT_DATA, reason, more)


def corrected_verdict(raw: Verdict, corrected: CorrectedRate) -> Verdict:
    """A gate with rate = "corrected": the same rule on the rate corrected for grader error (its parametric-bootstrap
    interval at the gate's confidence in place of the exact one). NOT READY when its lower bound is above max_rate,
    or on a significant rise of the raw rate (`raw` is NOT READY for that); READY when its upper bound is within the
    gate and n ≥ min_samples; INSUFFICIENT DATA otherwise, and whenever the rate cannot be corrected (the reason
    says why)."""
    gate = raw.gate

    def verdict(status: Status, reason: str) -> Verdict:
        return replace(raw, status=status, reason=reason, more_samples=None, corrected=corrected)

    if raw.regression_call is Call.HIGHER:
        return replace(raw, corrected=corrected)
    if corrected.estimate is None or corrected.lo is None or corrected.hi is None:
        reason = f"the gate judges the corrected rate, and it is {corrected.describe()}"
        return verdict(Status.INSUFFICIENT_DATA, reason)
    shown = f"corrected rate {corrected.describe()}, raw {raw.k}/{raw.n}"
    if corrected.lo > gate.max_rate:
        a, b = _pcts(corrected.lo, gate.max_rate)
        return verdict(Status.NOT_READY, f"corrected lower bound {a} is above the {b} gate ({shown})")
    if corrected.hi <= gate.max_rate and raw.n >= gate.min_samples:
        a, b = _pcts(corrected.hi, gate.max_rate)
        return verdict(Status.READY, f"corrected upper bound {a} is within the {b} gate ({shown})")
    a, b = _pcts(corrected.hi, gate.max_rate)
    short = f"; only {raw.n} of the {gate.min_samples} required samples" if raw.n < gate.min_samples else ""
    return verdict(
        Status.INSUFFICIENT_DATA,
        f"corrected upper bound {a} {'is within' if corrected.hi <= gate.max_rate else 'exceeds'} the {b} gate "
        f"({shown}){short}; more samples or calibration reviews would narrow it",
    )


def regression_check(
    k0: int, n0: int, k: int, n: int, confidence: float = 0.95
) -> tuple[tuple[float, float, float], Call]:
    """Current (k/n) − previous (k0/n0) with its Newcombe interval, and its call under `stats.SIGNIFICANCE_RULE`
    (Fisher's exact p, unadjusted: each family's gate is its own decision)."""
    d, lo, hi = newcombe_diff(k0, n0, k, n, confidence)
    return (d, lo, hi), significance_call(d, lo, hi, fisher_p(k0, n0, k, n), confidence)


def verdicts_for(
    counts: Mapping[str, tuple[int, int]], gates: Gates, previous: Mapping[str, tuple[int, int]] | None = None
) -> dict[str, Verdict]:
    """One verdict per family from {family: (k, n)}, using each family's gate and previous counts if given."""
    prev = previous or {}
    return {
        family: family_verdict(k, n, gates.for_family(family), prev.get(family), family)
        for family, (k, n) in counts.items()
    }


def overall(verdicts: Mapping[str, Verdict] | Iterable[Verdict]) -> Overall:
    """NOT READY if any family is not ready, READY only if all are ready, else INSUFFICIENT DATA; with a summary."""
    pairs = list(verdicts.items()) if isinstance(verdicts, Mapping) else [(v.family, v) for v in verdicts]
    total = len(pairs)
    if total == 0:
        return Overall(Status.INSUFFICIENT_DATA, "INSUFFICIENT DATA: there are no scenario families to judge.")

    def names(status: Status) -> str:
        found = [name for name, v in pairs if v.status is status and name]
        return f" ({', '.join(found)})" if found else ""

    ready = sum(v.status is Status.READY for _, v in pairs)
    failing = sum(v.status is Status.NOT_READY for _, v in pairs)
    waiting = total - ready - failing
    families = "family" if total == 1 else "families"
    if failing:
        verb = "fails its gate" if failing == 1 else "fail their gates"
        summary = f"NOT READY: {failing} of {total} {families} {verb}{names(Status.NOT_READY)}."
        return Overall(Status.NOT_READY, summary)
    if ready == total:
        within = "the family is within its gate" if total == 1 else f"all {total} families are within their gates"
        return Overall(Status.READY, f"READY: {within}{names(Status.READY) if total == 1 else ''}.")
    need = "needs" if waiting == 1 else "need"
    waiting_names = names(Status.INSUFFICIENT_DATA)
    summary = f"INSUFFICIENT DATA: {ready} of {total} {families} pass; {waiting} {need} more data{waiting_names}."
    return Overall(Status.INSUFFICIENT_DATA, summary)


# --- how many more samples would settle it ---------------------------------------------------------------------


def _upper(k: float, n: int, confidence: float) -> float:
    """The exact upper bound at a fractional k, so a fixed observed rate can be projected to a larger n."""
    return clopper_pearson(k, n, confidence)[1]


def _lower(k: float, n: int, confidence: float) -> float:
    return clopper_pearson(k, n, confidence)[0]


def _smallest_total(n: int, ok) -> int | None:
    """Smallest total N ≥ n with ok(N), assuming ok is monotone in N; None if not by _MAX_TOTAL."""
    if ok(n):
        return n
    lo, hi = n, max(2 * n, n + 1)
    while not ok(hi):
        if hi >= _MAX_TOTAL:
            return None
        lo, hi = hi, min(2 * hi, _MAX_TOTAL)
    while hi - lo > 1:  # invariant: not ok(lo), ok(hi)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def more_samples_needed(k: int, n: int, gate: Gate) -> int | None:
    """Fewest extra samples, at the observed rate k/n, for the exact upper bound to reach the gate with n ≥ min.

    None when that cannot happen (observed rate at or above the gate, or more than 10^12 samples needed).
    """
    p = k / n if n else 0.0
    if p >= gate.max_rate and not (p == 1.0 and gate.max_rate == 1.0):
        return None
    total = _smallest_total(max(n, gate.min_samples), lambda t: _upper(p * t, t, gate.confidence) <= gate.max_rate)
    return None if total is None else total - n


def samples_to_confirm_not_ready(k: int, n: int, gate: Gate) -> int | None:
    """Fewest extra samples, at the observed rate, for the exact lower bound to rise above the gate."""
    p = k / n if n else 0.0
    if p <= gate.max_rate:
        return None
    total = _smallest_total(n, lambda t: _lower(p * t, t, gate.confidence) > gate.max_rate)
    return None if total is None else total - n


# --- wording: evalboard/core/fmt.py ----------------------------------------------------------------------------------

_pct, _pcts = fmt.pct, fmt.pcts


def _count(m: int | None) -> str:
    """'50', 'about 310', 'about 1,300', or 'an unknown number of'."""
    return "an unknown number of" if m is None else fmt.about(m)
