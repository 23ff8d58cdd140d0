"""Readiness verdicts (docs/ARCHITECTURE.md): per scenario family READY / NOT READY / INSUFFICIENT DATA from
its counts, its gate and optionally the previous snapshot's counts, each with its reason as data (`Reason`: which
check decided, with its numbers); an overall verdict a lead reads in five seconds; the CLI's exit codes. Pure
functions, no I/O, no words: `readiness/text.py` says each reason and the overall verdict in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from evalboard.core.exit_codes import EXIT_INSUFFICIENT, EXIT_NOT_READY, EXIT_READY
from evalboard.core.stats import (
    Call,
    CorrectedRate,
    clopper_pearson,
    fisher_p,
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


class Check(StrEnum):
    """Which check decided a family's verdict (`readiness.text.reason` words each)."""

    NO_SAMPLES = "no samples"
    LOWER_ABOVE_GATE = "lower bound above the gate"  # NOT READY
    REGRESSION = "significant rise"  # NOT READY (must_not_regress)
    UPPER_WITHIN_GATE = "upper bound within the gate"  # READY
    TOO_FEW_SAMPLES = "upper bound within the gate, too few samples"
    MORE_WOULD_SETTLE = "upper bound above the gate, more samples would settle it"
    TOO_CLOSE = "rate too close to the gate to settle"
    AT_GATE = "rate equals the gate"
    ABOVE_GATE_UNSETTLED = "rate above the gate, lower bound not"
    CORRECTED_UNAVAILABLE = "no corrected rate"
    CORRECTED_LOWER_ABOVE_GATE = "corrected lower bound above the gate"
    CORRECTED_UPPER_WITHIN_GATE = "corrected upper bound within the gate"
    CORRECTED_UNSETTLED = "corrected interval across the gate"
    ABSENT = "required family without samples"  # `judge`: named by the gates file, not in the data
    NOTHING_GRADED = "no graded samples"  # `judge`: every sample of the family is ungraded


@dataclass(frozen=True)
class Reason:
    """Why a family got its verdict: the check that decided it and the numbers it compared, beyond those the
    `Verdict` holds (k, n, the interval, the gate, the regression, `more_samples`, the corrected rate)."""

    check: Check
    previous: tuple[int, int] | None = None  # REGRESSION: the previous snapshot's (k, n)
    confirm: int | None = None  # ABOVE_GATE_UNSETTLED: extra samples that would show NOT READY (None: unknown)
    ungraded: int = 0  # NOTHING_GRADED: the family's ungraded samples
    gates_file: str = ""  # ABSENT: the gates file that names the family


@dataclass(frozen=True)
class Verdict:
    """One family's verdict. lo/hi: the Clopper–Pearson interval at the gate's confidence (None when n == 0).

    `regression` is (d, lo, hi) of current − previous when that check ran, `regression_call` its significance
    call (`regression_check`); `more_samples` is the estimated
    number of extra samples at the observed rate that would settle an INSUFFICIENT DATA verdict (None if none would).
    """

    status: Status
    reason: Reason
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
    """The snapshot's verdict and what it rests on: each family's status in table order (`readiness.text.summary`
    says it in one sentence); `ungraded` > 0 when nothing at the candidate is graded (all its samples are
    ungraded)."""

    status: Status
    families: tuple[tuple[str, Status], ...] = ()
    ungraded: int = 0

    @property
    def exit_code(self) -> int:
        return exit_code(self.status)

    def count(self, status: Status) -> int:
        return sum(s is status for _, s in self.families)

    def named(self, status: Status) -> list[str]:
        """The named families with `status` (a verdict judged without a family name counts but is not named)."""
        return [name for name, s in self.families if s is status and name]


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
        return Verdict(
            Status.INSUFFICIENT_DATA, Reason(Check.NO_SAMPLES), k, n, None, None, gate, family, None, gate.min_samples
        )
    lo, hi = clopper_pearson(k, n, gate.confidence)
    p, limit = k / n, gate.max_rate

    regression, call = None, None

    def verdict(status: Status, reason: Reason, more: int | None = None) -> Verdict:
        return Verdict(status, reason, k, n, lo, hi, gate, family, regression, more, call)

    if lo > limit:
        return verdict(Status.NOT_READY, Reason(Check.LOWER_ABOVE_GATE))

    if gate.must_not_regress and previous is not None and previous[1] > 0:
        k0, n0 = previous
        regression, call = regression_check(k0, n0, k, n, gate.confidence)
        if call is Call.HIGHER:
            return verdict(Status.NOT_READY, Reason(Check.REGRESSION, previous=(k0, n0)))

    if hi <= limit and n >= gate.min_samples:
        return verdict(Status.READY, Reason(Check.UPPER_WITHIN_GATE))

    more = more_samples_needed(k, n, gate)
    if hi <= limit:  # only short of min_samples
        reason = Reason(Check.TOO_FEW_SAMPLES)
    elif more is not None:
        reason = Reason(Check.MORE_WOULD_SETTLE)
    elif p < limit:
        reason = Reason(Check.TOO_CLOSE)
    elif p == limit:
        reason = Reason(Check.AT_GATE)
    else:
        reason = Reason(Check.ABOVE_GATE_UNSETTLED, confirm=samples_to_confirm_not_ready(k, n, gate))
    return verdict(Status.INSUFFICIENT_DATA, reason, more)


def corrected_verdict(raw: Verdict, corrected: CorrectedRate) -> Verdict:
    """A gate with rate = "corrected": the same rule on the rate corrected for grader error (its parametric-bootstrap
    interval at the gate's confidence in place of the exact one). NOT READY when its lower bound is above max_rate,
    or on a significant rise of the raw rate (`raw` is NOT READY for that); READY when its upper bound is within the
    gate and n ≥ min_samples; INSUFFICIENT DATA otherwise, and whenever the rate cannot be corrected (the reason
    says why)."""
    gate = raw.gate

    def verdict(status: Status, check: Check) -> Verdict:
        return replace(raw, status=status, reason=Reason(check), more_samples=None, corrected=corrected)

    if raw.regression_call is Call.HIGHER:
        return replace(raw, corrected=corrected)
    if corrected.estimate is None or corrected.lo is None or corrected.hi is None:
        return verdict(Status.INSUFFICIENT_DATA, Check.CORRECTED_UNAVAILABLE)
    if corrected.lo > gate.max_rate:
        return verdict(Status.NOT_READY, Check.CORRECTED_LOWER_ABOVE_GATE)
    if corrected.hi <= gate.max_rate and raw.n >= gate.min_samples:
        return verdict(Status.READY, Check.CORRECTED_UPPER_WITHIN_GATE)
    return verdict(Status.INSUFFICIENT_DATA, Check.CORRECTED_UNSETTLED)


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
    """NOT READY if any family is not ready, READY only if all are ready (and there is one), else INSUFFICIENT
    DATA."""
    pairs = list(verdicts.items()) if isinstance(verdicts, Mapping) else [(v.family, v) for v in verdicts]
    families = tuple((name, v.status) for name, v in pairs)
    if any(v.status is Status.NOT_READY for _, v in pairs):
        return Overall(Status.NOT_READY, families)
    if pairs and all(v.status is Status.READY for _, v in pairs):
        return Overall(Status.READY, families)
    return Overall(Status.INSUFFICIENT_DATA, families)


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
