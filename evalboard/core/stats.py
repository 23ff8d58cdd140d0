"""Intervals for rates computed from counts (docs/ARCHITECTURE.md, "Statistics"). Pure functions, no I/O."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import polars as pl
from scipy import optimize as _optimize
from scipy import stats as _sps

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for k successes in n trials; (nan, nan) when n == 0."""
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp float noise so k=0 gives exactly 0 and k=n exactly 1.
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


def with_intervals(counts: pl.DataFrame, k: str = "k", n: str = "n") -> pl.DataFrame:
    """Add `rate`, `lo`, `hi` (95% Wilson) to a frame of counts; rows with n == 0 get nulls."""
    z2 = Z95 * Z95
    kk, nn = pl.col(k).cast(pl.Float64), pl.col(n).cast(pl.Float64)
    p = kk / nn
    denom = 1 + z2 / nn
    centre = (p + z2 / (2 * nn)) / denom
    half = Z95 * ((p * (1 - p) / nn + z2 / (4 * nn * nn)).sqrt()) / denom
    valid = pl.col(n) > 0
    return counts.with_columns(
        rate=pl.when(valid).then(p),
        lo=pl.when(valid).then(pl.when(pl.col(k) == 0).then(0.0).otherwise((centre - half).clip(0.0, 1.0))),
        hi=pl.when(valid).then(pl.when(pl.col(k) == pl.col(n)).then(1.0).otherwise((centre + half).clip(0.0, 1.0))),
    )


def format_rate(k: int, n: int, with_counts: bool = True) -> str:
    """'9.0% [6.6–12.1] (37/412)' (95% Wilson), or 'no samples' when n == 0."""
    if n <= 0:
        return "no samples"
    lo, hi = wilson(k, n)
    text = f"{100 * k / n:.1f}% [{100 * lo:.1f}–{100 * hi:.1f}]"
    return f"{text} ({k}/{n})" if with_counts else text


# --- Comparing two rates, exact intervals, multiple testing (docs/ARCHITECTURE.md, "Statistics") ---------------------
#
# Conventions: side A is (k1, n1), side B is (k2, n2). A difference is B − A (positive = B has the higher
# harmful rate, i.e. B is worse); a ratio is A/B (above 1 = B is lower, "3.4x lower"). Functions return NaN only
# where `wilson` already does (n == 0); every text helper says "no samples" instead, so NaN never reaches a page.


def _check_counts(k: int, n: int) -> None:
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


@functools.cache  # a few confidence levels, asked for by every interval
def z_for(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level in (0, 1); 0.95 → 1.95996…."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(_sps.norm.ppf(0.5 + confidence / 2))


def clopper_pearson(k: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for k of n: beta quantiles, exactly 0 at k=0 and 1 at k=n; NaNs at n=0.

    The one home of the exact interval. `k` may be fractional (the beta quantiles are continuous in k): Readiness
    projects an observed rate to a larger n with it (`readiness.rules.more_samples_needed`)."""
    z_for(confidence)  # validates the level
    if n == 0:
        return (math.nan, math.nan)
    _check_counts(k, n)
    alpha = 1 - confidence
    lo = 0.0 if k == 0 else float(_sps.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(_sps.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return (lo, hi)


def newcombe_diff(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference d = p2 − p1 (B − A) with Newcombe's hybrid score interval (1998, method 10) from Wilson intervals.

    Positive d means B's rate is higher than A's. Returns (d, lo, hi); NaNs when either n is 0.
    """
    z = z_for(confidence)
    if n1 == 0 or n2 == 0:
        return (math.nan, math.nan, math.nan)
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p2 - p1
    lo = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    hi = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return (d, max(-1.0, lo), min(1.0, hi))


def _format_factor(x: float) -> str:
    if math.isinf(x):
        return "∞"
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


@dataclass(frozen=True)
class RatioInterval:
    """Ratio A/B of two rates with its interval.

    `estimate` is None when it is undefined (no samples, or no harmful samples on either side); it is `math.inf`
    when only B has none (then `hi` is inf too) and 0 when only A has none (then `lo` is 0). `lo`/`hi` are None
    only when a side has no samples.
    """

    estimate: float | None
    lo: float | None
    hi: float | None

    def describe(self) -> str:
        """'3.4x lower [2.1–5.8]' (B relative to A; the numbers are A/B), or a plain sentence at the zeros."""
        est, lo, hi = self.estimate, self.lo, self.hi
        if lo is None or hi is None:
            return "no samples"
        if est is None:
            return "ratio undefined (no harmful samples on either side)"
        if math.isinf(est):
            return f"ratio unbounded (no harmful samples in B); A/B ≥ {_format_factor(lo)}"
        if est == 0:
            return f"ratio unbounded (no harmful samples in A); B/A ≥ {_format_factor(1 / hi)}"
        if est > 1:
            return f"{_format_factor(est)}x lower [{_format_factor(lo)}–{_format_factor(hi)}]"
        if est < 1:  # say it the other way round so the factor is above 1
            return f"{_format_factor(1 / est)}x higher [{_format_factor(1 / hi)}–{_format_factor(1 / lo)}]"
        return f"no change (1.0x) [{_format_factor(lo)}–{_format_factor(hi)}]"


def ratio_interval(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> RatioInterval:
    """Ratio p1/p2 (A/B) with the Miettinen–Nurminen score interval (as statsmodels' 'score', correction=True).

    The score interval stays defined at zero counts: k1 = 0 gives lo = 0, k2 = 0 gives hi = inf, both zero
    gives an undefined estimate over [0, inf].
    """
    z2 = z_for(confidence) ** 2
    if n1 == 0 or n2 == 0:
        return RatioInterval(None, None, None)
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if k1 == 0 and k2 == 0:
        return RatioInterval(None, 0.0, math.inf)
    p1, p2, big_n = k1 / n1, k2 / n2, n1 + n2

    def excess(log_theta: float) -> float:
        """Score statistic at theta = exp(log_theta), minus the critical value (≤ 0 inside the interval)."""
        theta = math.exp(log_theta)
        num = (p1 - theta * p2) ** 2
        if num == 0:
            return -z2
        # Restricted MLE of p2 under p1 = theta * p2 (root of a quadratic, in its cancellation-free form).
        b = n1 * theta + k1 + n2 + k2 * theta
        disc = max(0.0, b * b - 4 * big_n * theta * (k1 + k2))
        p2t = 2 * (k1 + k2) / (b + math.sqrt(disc))
        p1t = theta * p2t
        var = (p1t * (1 - p1t) / n1 + theta * theta * p2t * (1 - p2t) / n2) * big_n / (big_n - 1)
        return (num / var if var > 0 else math.inf) - z2

    def bound(inside: float, step: float) -> float:
        """Walk from a point inside the interval until outside, then solve on log scale; ±inf if never outside."""
        outside = inside + step
        while excess(outside) <= 0:
            if abs(outside) > 700:
                return math.inf if step > 0 else 0.0
            step *= 2
            outside = inside + step
        return math.exp(_optimize.brentq(excess, min(inside, outside), max(inside, outside), xtol=1e-12))

    if k2 == 0:  # A/B is infinite; the statistic tends to 0 as theta grows, so start far out
        start = 0.0
        while excess(start) > 0 and start < 700:
            start += 2.0
        return RatioInterval(math.inf, bound(start, -1.0), math.inf)
    if k1 == 0:  # A/B is 0; symmetric
        start = 0.0
        while excess(start) > 0 and start > -700:
            start -= 2.0
        return RatioInterval(0.0, 0.0, bound(start, 1.0))
    est = p1 / p2
    return RatioInterval(est, bound(math.log(est), -0.5), bound(math.log(est), 0.5))


def fisher_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact p-value for k1/n1 vs k2/n2; 1.0 when a side has no samples (no evidence)."""
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if n1 == 0 or n2 == 0:
        return 1.0
    return float(_sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def mcnemar_p(b: int, c: int) -> float:
    """Exact McNemar p-value (two-sided binomial test on the b and c discordant pairs); 1.0 with no discordant pair."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2 * _sps.binom.cdf(min(b, c), b + c, 0.5)))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order, monotone and capped at 1."""
    ps = [float(p) for p in pvalues]
    for p in ps:
        if not 0 <= p <= 1:  # also rejects NaN
            raise ValueError(f"p-values must be in [0, 1], got {p}")
    m, adjusted, running = len(ps), [0.0] * len(ps), 0.0
    for rank, i in enumerate(sorted(range(m), key=ps.__getitem__)):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        adjusted[i] = running
    return adjusted


def format_p(p: float | None) -> str:
    """'p=0.023', 'p<0.001', or 'no p-value' when there is none."""
    if p is None or math.isnan(p):
        return "no p-value"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def format_points(d: float, lo: float, hi: float) -> str:
    """A difference of rates in percentage points: '−19.1 pts [−22.4, −16.0]' (true minus signs, never '-0.0')."""

    def signed(x: float) -> str:
        s = f"{abs(100 * x):.1f}"
        return "0.0" if s == "0.0" else ("+" if x > 0 else "−") + s

    return f"{signed(d)} pts [{signed(lo)}, {signed(hi)}]"


@dataclass(frozen=True)
class Rate:
    """k of n with its Wilson interval; rate/lo/hi are None when n == 0."""

    k: int
    n: int
    rate: float | None
    lo: float | None
    hi: float | None

    def describe(self) -> str:
        return format_rate(self.k, self.n)


def rate(k: int, n: int, confidence: float = 0.95) -> Rate:
    """A `Rate` with its Wilson interval at the given confidence."""
    z = z_for(confidence)
    if n == 0:
        return Rate(k, n, None, None, None)
    _check_counts(k, n)
    lo, hi = wilson(k, n, z)
    return Rate(k, n, k / n, lo, hi)


# --- The one significance rule (docs/ARCHITECTURE.md, "Statistics") ---------------------------------------------

SIGNIFICANCE_RULE = (
    "A change B − A is significant when the two-sided Fisher exact p-value, Holm-adjusted across the families "
    "shown together, is below 0.05 and the 95% Newcombe interval of the difference excludes 0. When only one "
    "of the two holds, the change is inconclusive (the reason is given); when neither does, there is no "
    "significant change."
)


class Call(StrEnum):
    """The one significance call every Compare and Readiness verdict, marker and sentence derives from."""

    LOWER = "lower"  # significant, B lower than A
    HIGHER = "higher"  # significant, B higher than A
    INCONCLUSIVE = "inconclusive"  # the test and the interval disagree
    NO_CHANGE = "no significant change"
    UNTESTED = "no test"  # a side has no samples

    @property
    def significant(self) -> bool:
        return self in (Call.LOWER, Call.HIGHER)


def significance_call(
    diff: float | None, lo: float | None, hi: float | None, p: float | None, confidence: float = 0.95
) -> Call:
    """Apply `SIGNIFICANCE_RULE` to a difference, its interval and its (already adjusted) p-value."""
    if diff is None or lo is None or hi is None or p is None or math.isnan(diff):
        return Call.UNTESTED
    rejects = p < 1 - confidence
    excludes = lo > 0 or hi < 0
    if rejects and excludes:
        return Call.HIGHER if lo > 0 else Call.LOWER
    return Call.INCONCLUSIVE if rejects or excludes else Call.NO_CHANGE


class Tested:
    """A result holding an estimate (`diff`; a trend's `slope`), its interval `lo`–`hi` and its test's p-value `p`:
    its call is `SIGNIFICANCE_RULE` on them, written once here for every such result (`GainGap`, `Trend`, the
    Compare page's `trends.GapTrend`); `call_with` makes it with the p-value Holm-adjusted across the results shown
    together."""

    lo: float | None
    hi: float | None
    p: float | None

    @property
    def estimate(self) -> float | None:
        return self.diff  # type: ignore[attr-defined]

    @property
    def call(self) -> Call:
        return self.call_with(None)

    def call_with(self, p_holm: float | None) -> Call:
        """The call on the Holm-adjusted p-value when there is one (None: this result's own p)."""
        return significance_call(self.estimate, self.lo, self.hi, self.p if p_holm is None else p_holm)


def describe_call(
    call: Call, p: float | None, adjusted: bool = False, small_counts: bool = False, confidence: float = 0.95
) -> str:
    """The test text beside a verdict, worded from `call` alone: 'significant (interval excludes 0; Holm-adjusted
    Fisher p=0.004)', 'inconclusive (Fisher p=0.031 but the interval includes 0; small counts)', ..."""
    if call is Call.UNTESTED:
        return "no test (no samples)"
    basis = f"{'Holm-adjusted ' if adjusted else ''}Fisher {format_p(p)}"
    small = "; small counts" if small_counts else ""
    if call is Call.INCONCLUSIVE:
        rejects = p is not None and p < 1 - confidence
        why = f"{basis} but the interval includes 0" if rejects else f"interval excludes 0 but {basis}"
        return f"inconclusive ({why}{small})"
    if call.significant:
        return f"significant (interval excludes 0; {basis}{small})"
    return f"not significant (interval includes 0; {basis}{small})"


@dataclass(frozen=True)
class Comparison:
    """A (k1/n1) against B (k2/n2): rates, B − A with Newcombe's interval, A/B with its interval, and a test.

    `p_value` is Fisher's exact p (None if a side has no samples), always reported so Holm can use it.
    `significant` is `SIGNIFICANCE_RULE` on the unadjusted p; `p_holm`/`significant_holm` are filled in by
    `holm_adjust`. `call` is what every page shows: the adjusted call once Holm has run, else the unadjusted one.
    `small_counts` (an expected cell < 5) is reported beside the test; the rule is the same either way.
    """

    a: Rate
    b: Rate
    diff: float | None
    diff_lo: float | None
    diff_hi: float | None
    ratio: RatioInterval
    p_value: float | None
    small_counts: bool
    significant: bool
    confidence: float = 0.95
    p_holm: float | None = None
    significant_holm: bool | None = None

    @property
    def has_samples(self) -> bool:
        return self.a.n > 0 and self.b.n > 0

    @property
    def adjusted(self) -> bool:
        return self.significant_holm is not None

    @property
    def p_shown(self) -> float | None:
        """The p-value the call uses: Holm-adjusted once `holm_adjust` has run."""
        return self.p_holm if self.adjusted else self.p_value

    @property
    def call(self) -> Call:
        return significance_call(self.diff, self.diff_lo, self.diff_hi, self.p_shown, self.confidence)

    @property
    def regression(self) -> bool:
        """B significantly worse (higher) than A; uses the Holm-corrected call once `holm_adjust` has run."""
        return self.call is Call.HIGHER

    def describe_significance(self) -> str:
        """'significant (interval excludes 0; Fisher p=0.023)', 'inconclusive (…)', ... (see `describe_call`)."""
        if not self.has_samples:
            return "no test (no samples)"
        return describe_call(self.call, self.p_shown, self.adjusted, self.small_counts, self.confidence)

    def describe(self) -> str:
        """One line: 'A → B: diff [interval]; ratio; significance', or which side has no samples."""
        if not self.has_samples:
            empty = [side for side, r in (("A", self.a), ("B", self.b)) if r.n == 0]
            return f"{' and '.join(empty)}: no samples; nothing to compare"
        assert self.diff is not None and self.diff_lo is not None and self.diff_hi is not None
        return (
            f"{self.a.describe()} → {self.b.describe()}: {format_points(self.diff, self.diff_lo, self.diff_hi)}; "
            f"{self.ratio.describe()}; {self.describe_significance()}"
        )


def _small_counts(k1: int, n1: int, k2: int, n2: int) -> bool:
    """Any expected cell of the 2x2 table below 5 (the textbook condition for preferring an exact test)."""
    total, harmful = n1 + n2, k1 + k2
    return any(row * col / total < 5 for row in (n1, n2) for col in (harmful, total - harmful))


def compare(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> Comparison:
    """Compare A = k1/n1 with B = k2/n2 (difference B − A, ratio A/B); never raises on zeros or n = 0."""
    a, b = rate(k1, n1, confidence), rate(k2, n2, confidence)
    ratio = ratio_interval(k1, n1, k2, n2, confidence)
    if n1 == 0 or n2 == 0:
        return Comparison(a, b, None, None, None, ratio, None, False, False, confidence)
    d, lo, hi = newcombe_diff(k1, n1, k2, n2, confidence)
    p = fisher_p(k1, n1, k2, n2)
    small = _small_counts(k1, n1, k2, n2)
    significant = significance_call(d, lo, hi, p, confidence).significant
    return Comparison(a, b, d, lo, hi, ratio, p, small, significant, confidence)


def holm_adjust(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Holm-correct a family of comparisons (e.g. one per scenario family) on their Fisher p-values.

    Comparisons without samples are left out of the correction (p_holm None, not significant); the corrected
    call is `SIGNIFICANCE_RULE` on the adjusted p.
    """
    tested = {i: c.p_value for i, c in enumerate(comparisons) if c.p_value is not None}
    adjusted = dict(zip(tested, holm(list(tested.values())), strict=True))
    out = []
    for i, c in enumerate(comparisons):
        p = adjusted.get(i)
        sig = significance_call(c.diff, c.diff_lo, c.diff_hi, p, c.confidence).significant
        out.append(replace(c, p_holm=p, significant_holm=sig))
    return out


# -- agreement between two graders on the same transcripts ---------------------------------------------------------
@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa of a square agreement table with its large-sample 95% interval.

    `kappa`, `se`, `lo` and `hi` are None when kappa is undefined (chance agreement is 1: both graders used one
    class only, or the table is empty); `reason` then says why in words.
    """

    n: int
    observed: float | None  # proportion of agreement p_o
    expected: float | None  # agreement expected by chance p_e
    kappa: float | None
    se: float | None
    lo: float | None
    hi: float | None
    reason: str | None = None


def cohens_kappa(table: Sequence[Sequence[int]], confidence: float = 0.95) -> Kappa:
    """Cohen's (1960) unweighted kappa; standard error by Fleiss, Cohen & Everitt (1969), interval kappa ± z·SE.

    This is the asymptotic standard error SAS PROC FREQ prints as "ASE" and statsmodels' `cohens_kappa` as
    `std_kappa`; the interval is clipped to [−1, 1]. Rows are the first grader's classes, columns the second's.
    """
    counts = [[int(x) for x in row] for row in table]
    size = len(counts)
    if any(len(row) != size for row in counts) or any(x < 0 for row in counts for x in row):
        raise ValueError("need a square table of non-negative counts")
    n = sum(map(sum, counts))
    if n == 0:
        return Kappa(0, None, None, None, None, None, None, "no transcript was graded by both sources")
    p = [[x / n for x in row] for row in counts]
    rows = [sum(row) for row in p]
    cols = [sum(p[i][j] for i in range(size)) for j in range(size)]
    po = sum(p[i][i] for i in range(size))
    pe = sum(rows[i] * cols[i] for i in range(size))
    if pe >= 1 - 1e-12:
        return Kappa(
            n, po, pe, None, None, None, None,
            "kappa is undefined: both sources gave every transcript the same verdict, so agreement by chance is 100%",
        )  # fmt: skip
    kappa = (po - pe) / (1 - pe)
    # Fleiss, Cohen & Everitt (1969), eq. (13): variance of kappa-hat under the alternative.
    a = sum(p[i][i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(size))
    b = (1 - kappa) ** 2 * sum(p[i][j] * (cols[i] + rows[j]) ** 2 for i in range(size) for j in range(size) if i != j)
    c = (kappa - pe * (1 - kappa)) ** 2
    se = math.sqrt(max(0.0, a + b - c) / n) / (1 - pe)
    z = z_for(confidence)
    return Kappa(n, po, pe, kappa, se, max(-1.0, kappa - z * se), min(1.0, kappa + z * se))


def paired_diff(both: int, first_only: int, second_only: int, neither: int, confidence: float = 0.95):
    """Difference of two rates measured on the same transcripts, d = p2 − p1, with Newcombe's (1998) paired
    hybrid-score interval (his method 10: Wilson intervals of both rates combined with the correlation φ of the
    2×2 table, φ's numerator continuity-corrected as in the paper). Returns (d, lo, hi); NaNs when n = 0.

    `both`: harmful under both sources; `first_only` / `second_only`: harmful under one only; `neither`.
    """
    n = both + first_only + second_only + neither
    if n == 0:
        return (math.nan, math.nan, math.nan)
    z = z_for(confidence)
    k1, k2 = both + first_only, both + second_only
    p1, p2 = k1 / n, k2 / n
    l1, u1 = wilson(k1, n, z)
    l2, u2 = wilson(k2, n, z)
    margins = (both + first_only) * (second_only + neither) * (both + second_only) * (first_only + neither)
    phi = 0.0
    if margins > 0:
        cross = both * neither - first_only * second_only
        numerator = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
        phi = numerator / math.sqrt(margins)
    d = p2 - p1
    lo = d - math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    hi = d + math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return (d, max(-1.0, lo), min(1.0, hi))


# --- What drives the rate, and does the gain last (docs/ARCHITECTURE.md, "Statistics": drivers, trends, held-out) ---
#
# A scenario variable's effect is tested on its table of counts per value (k harmful of n); a trend through training is
# a logistic model of the verdict on the checkpoint's step; a gain's difference between held-out and trained families
# is a difference of two differences. Each gives an estimate, a 95% interval and a p-value, and the one rule above
# (`significance_call`) turns them into a call.


@dataclass(frozen=True)
class Homogeneity:
    """The likelihood-ratio (G) test of "the rate is the same at every value" on a 2 × m table of counts."""

    g: float  # the likelihood-ratio statistic, 2·Σ observed·log(observed / expected)
    df: int  # values with samples − 1
    p: float  # upper tail of chi-square with df degrees of freedom; 1.0 when df = 0 or no value varies


def homogeneity_test(counts: Sequence[tuple[int, int]]) -> Homogeneity:
    """G-test of equal rates across groups given as (k, n); groups with n = 0 are left out. Equals
    `scipy.stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")` where that is defined."""
    groups = [(int(k), int(n)) for k, n in counts if n > 0]
    for k, n in groups:
        _check_counts(k, n)
    df = len(groups) - 1
    total_k, total_n = sum(k for k, _ in groups), sum(n for _, n in groups)
    if df < 1 or total_k in (0, total_n):
        return Homogeneity(0.0, max(df, 0), 1.0)
    pooled = total_k / total_n
    g = 0.0
    for k, n in groups:
        for observed, expected in ((k, n * pooled), (n - k, n * (1 - pooled))):
            if observed:
                g += 2 * observed * math.log(observed / expected)
    g = max(0.0, g)
    return Homogeneity(g, df, float(_sps.chi2.sf(g, df)))


@dataclass(frozen=True)
class Spread:
    """How far apart a variable's values put the rate: highest − lowest rate with its Newcombe interval."""

    highest: int  # index of the value with the highest rate
    lowest: int  # index of the value with the lowest rate
    diff: float
    lo: float
    hi: float


def rate_spread(counts: Sequence[tuple[int, int]], confidence: float = 0.95) -> Spread | None:
    """The spread between the values with the highest and the lowest rate, (k, n) each (n = 0 skipped): their
    difference with Newcombe's interval (`newcombe_diff`). None with fewer than two values with samples. The two
    values are chosen after looking, so the interval is optimistic; the homogeneity test is the guard."""
    present = [i for i, (_, n) in enumerate(counts) if n > 0]
    if len(present) < 2:
        return None
    hi_i = max(present, key=lambda i: (counts[i][0] / counts[i][1], -i))
    lo_i = min(present, key=lambda i: (counts[i][0] / counts[i][1], i))
    if hi_i == lo_i:
        lo_i = next(i for i in present if i != hi_i)
    d, lo, hi = newcombe_diff(counts[lo_i][0], counts[lo_i][1], counts[hi_i][0], counts[hi_i][1], confidence)
    return Spread(hi_i, lo_i, d, lo, hi)


@dataclass(frozen=True)
class Trend(Tested):
    """Change in the rate along training from a logistic model of the verdict on the step (one intercept per
    stratum, e.g. per snapshot): `slope` is the average marginal effect per `per` steps (a change in the rate, as a
    fraction), `lo`/`hi` its delta-method interval, `se` its standard error, `p` the likelihood-ratio test of no
    trend, `log_odds` the model's coefficient per `per` steps. `checkpoints` counts the distinct steps."""

    slope: float
    lo: float
    hi: float
    se: float
    p: float
    log_odds: float
    checkpoints: int
    n: int

    @property
    def estimate(self) -> float:
        return self.slope


TREND_PER = 1000  # steps: a trend is stated "per 1,000 steps"


def _logistic_fit(x: object, k: object, n: object) -> tuple[object, object, float]:
    """Newton–Raphson fit of a grouped binomial logistic model: (coefficients, covariance, log-likelihood)."""
    x, k, n = np.asarray(x, float), np.asarray(k, float), np.asarray(n, float)
    beta = np.zeros(x.shape[1])

    def loglik(b):
        eta = x @ b
        return float(np.sum(k * eta - n * np.logaddexp(0.0, eta)))

    current = loglik(beta)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ beta)))
        w = n * p * (1 - p)
        step = np.linalg.lstsq((x * w[:, None]).T @ x, x.T @ (k - n * p), rcond=None)[0]
        size = 1.0
        while size > 1e-6:  # halve the step until the likelihood does not fall
            trial = beta + size * step
            value = loglik(trial)
            if value >= current - 1e-12:
                break
            size /= 2
        beta, previous, current = trial, current, value
        if abs(current - previous) < 1e-10 and np.max(np.abs(size * step)) < 1e-8:
            break
    p = 1 / (1 + np.exp(-(x @ beta)))
    info = (x * (n * p * (1 - p))[:, None]).T @ x
    return beta, np.linalg.pinv(info), current


def logistic_trend(
    rows: Sequence[tuple[object, float, int, int]], per: int = TREND_PER, confidence: float = 0.95
) -> Trend | None:
    """The trend of the rate along `step` from rows (stratum, step, k, n): a logistic model with one intercept per
    stratum and a common slope on the step, fitted to the counts (the same fit as statsmodels' `Logit` on one row per
    sample). The slope is stated as the average marginal effect per `per` steps (`Logit.get_margeff(at='overall')`),
    with its delta-method interval; `p` is the likelihood-ratio test of slope 0 against the intercepts-only model.

    Strata whose samples are all harmful or all safe carry no information on the slope and are left out of the fit
    (their intercept is infinite); they still count in the average, where their marginal effect is 0. None when no
    remaining stratum has two distinct steps (the slope is then not identified apart from the intercepts)."""
    rows = [(s, float(x), int(k), int(n)) for s, x, k, n in rows if n > 0]
    for _, _, k, n in rows:
        _check_counts(k, n)
    total = sum(n for *_, n in rows)
    strata: dict[object, list[int]] = {}
    for s, _, k, n in rows:
        acc = strata.setdefault(s, [0, 0])
        acc[0], acc[1] = acc[0] + k, acc[1] + n
    informative = [r for r in rows if 0 < strata[r[0]][0] < strata[r[0]][1]]
    steps = {x for _, x, _, _ in informative}
    per_stratum: dict[object, set[float]] = {}
    for s, x, _, _ in informative:
        per_stratum.setdefault(s, set()).add(x)
    if not total or all(len(xs) < 2 for xs in per_stratum.values()):  # no stratum sees the step change
        return None
    names = sorted({s for s, *_ in informative}, key=str)
    index = {s: i for i, s in enumerate(names)}
    scale = float(per)
    design = np.zeros((len(informative), len(names) + 1))
    for r, (s, x, _, _) in enumerate(informative):
        design[r, index[s]] = 1.0
        design[r, -1] = x / scale
    k = np.array([r[2] for r in informative], float)
    n = np.array([r[3] for r in informative], float)
    beta, cov, loglik = _logistic_fit(design, k, n)
    _, _, null_loglik = _logistic_fit(design[:, :-1], k, n)
    lr = max(0.0, 2 * (loglik - null_loglik))
    p_value = float(_sps.chi2.sf(lr, 1))
    prob = 1 / (1 + np.exp(-(design @ beta)))
    density = prob * (1 - prob)
    slope = beta[-1]
    ame = float(np.sum(n * density * slope) / total)
    # Gradient of the average marginal effect with respect to the coefficients (delta method).
    gradient = (design * (n * density * (1 - 2 * prob) * slope)[:, None]).sum(axis=0) / total
    gradient[-1] += float(np.sum(n * density) / total)
    se = float(math.sqrt(max(0.0, gradient @ cov @ gradient)))
    z = z_for(confidence)
    return Trend(ame, ame - z * se, ame + z * se, se, p_value, float(slope), len(steps), total)


def trend_difference(a: Trend, b: Trend, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """B's trend minus A's (two independent fits): (difference, lo, hi, p) with the normal interval of the two
    delta-method standard errors and the two-sided z-test."""
    d = b.slope - a.slope
    se = math.sqrt(a.se**2 + b.se**2)
    z = z_for(confidence)
    p = 1.0 if se == 0 else float(2 * _sps.norm.sf(abs(d) / se))
    return d, d - z * se, d + z * se, p


def format_trend(slope: float, lo: float, hi: float, per: int = TREND_PER) -> str:
    """'+0.2 pts per 1,000 steps [−0.4, +0.8]'."""
    points = format_points(slope, lo, hi)
    value, interval = points.split(" pts ")
    return f"{value} pts per {per:,} steps {interval}"


@dataclass(frozen=True)
class GainGap(Tested):
    """A gain (intervention − baseline) on held-out families against the same gain on trained families.

    `held_out` and `trained` are the two `Comparison`s (A = baseline, B = the intervention); `diff` = held-out gain −
    trained gain (positive: the gain is smaller where the intervention never trained), with its MOVER interval
    (Zou & Donner 2008, from the two Newcombe intervals) and the Wald z-test of no difference."""

    held_out: Comparison
    trained: Comparison
    diff: float | None
    lo: float | None
    hi: float | None
    p: float | None


def gain_gap(
    baseline_held: tuple[int, int],
    held: tuple[int, int],
    baseline_trained: tuple[int, int],
    trained: tuple[int, int],
    confidence: float = 0.95,
) -> GainGap:
    """`GainGap` from four (k, n): baseline and intervention on held-out families, then on trained families."""
    on_held = compare(*baseline_held, *held, confidence=confidence)
    on_trained = compare(*baseline_trained, *trained, confidence=confidence)
    if not (on_held.has_samples and on_trained.has_samples):
        return GainGap(on_held, on_trained, None, None, None, None)
    d1, l1, u1 = on_held.diff, on_held.diff_lo, on_held.diff_hi
    d2, l2, u2 = on_trained.diff, on_trained.diff_lo, on_trained.diff_hi
    assert None not in (d1, l1, u1, d2, l2, u2)
    d = d1 - d2
    lo = d - math.sqrt((d1 - l1) ** 2 + (u2 - d2) ** 2)
    hi = d + math.sqrt((u1 - d1) ** 2 + (d2 - l2) ** 2)
    var = sum(k / n * (1 - k / n) / n for k, n in (baseline_held, held, baseline_trained, trained))
    p = 1.0 if var == 0 else float(2 * _sps.norm.sf(abs(d) / math.sqrt(var)))
    return GainGap(on_held, on_trained, d, lo, hi, p)


# --- Grader error against people, corrected rates, many raters (docs/ARCHITECTURE.md, "Calibration") --------------
#
# A calibration sample is stratified (scenario family × primary verdict) and each stratum is sampled at its own
# rate, so every estimate below is weighted by the design: a reviewed transcript of stratum h stands for N_h / m_h
# transcripts (N_h in the stratum, m_h of them reviewed with a human verdict).


# Fewest reviewed transcripts with a human "harmful" (and, apart, "not harmful") verdict before a grader's
# sensitivity (specificity) is used to correct a rate.
MIN_CALIBRATION = 10
BOOTSTRAP_DRAWS = 4000
CORRECTION_METHOD = (
    "Rogan–Gladen (1978): corrected = (raw + specificity − 1) / (sensitivity + specificity − 1), clipped to [0, 1]. "
    "Interval: parametric bootstrap of 4,000 replicates, each drawing the raw rate from Clopper–Pearson's beta "
    "distributions (Beta(k + 1, n − k) for the upper bound, Beta(k, n − k + 1) for the lower) and the sensitivity and "
    "specificity from the Jeffreys beta of their design-effective counts, applying Rogan–Gladen and taking the "
    "percentiles; so it carries the uncertainty of the rate and of the grader's error, and with sensitivity and "
    "specificity known to be 100% it is the exact interval the gates use (coverage checked by simulation in "
    "tests/test_calibration_stats.py)."
)


@dataclass(frozen=True)
class Proportion:
    """A design-weighted proportion: estimate with a Wilson interval at the design's effective sample size.

    `n` is the reviewed transcripts in the denominator, `n_eff` the effective sample size (≤ n); None fields when
    the denominator is empty.
    """

    estimate: float | None
    lo: float | None
    hi: float | None
    n: int
    n_eff: float

    def describe(self) -> str:
        if self.estimate is None or self.lo is None or self.hi is None:
            return "no reviewed transcripts"
        return f"{100 * self.estimate:.1f}% [{100 * self.lo:.1f}–{100 * self.hi:.1f}] (n={self.n})"


def weighted_proportion(
    hit: Sequence[bool], base: Sequence[bool], stratum: Sequence[str], population: dict[str, int],
    confidence: float = 0.95,
) -> Proportion:  # fmt: skip
    """Σw·hit / Σw·base over reviewed units of a stratified sample (hit implies base), w = N_h / m_h.

    `population[h]` = N_h; m_h = the units of stratum h given here. The variance is the stratified linearisation of
    the ratio (finite-population corrected); the interval is Wilson's at n_eff = p(1 − p) / var (Korn & Graubard
    1998), at most the units in the denominator; at p ∈ {0, 1} Kish's (Σw)²/Σw² is used instead.
    """
    y, x = np.asarray(hit, dtype=float), np.asarray(base, dtype=float)
    strata = np.asarray(stratum, dtype=object)
    if np.any(y > x):
        raise ValueError("a hit must be in the base")
    n = int(x.sum())
    if n == 0:
        return Proportion(None, None, None, 0, 0.0)
    keys = sorted(set(strata.tolist()))
    m = {h: int((strata == h).sum()) for h in keys}
    w = np.array([population[h] / m[h] for h in strata.tolist()])
    total_x = float((w * x).sum())
    p = float((w * y).sum()) / total_x
    u = y - p * x
    var = 0.0
    for h in keys:
        in_h = strata == h
        if m[h] > 1:
            var += population[h] ** 2 * max(0.0, 1 - m[h] / population[h]) * float(u[in_h].var(ddof=1)) / m[h]
    var /= total_x**2
    wx = w[x > 0]
    kish = float(wx.sum() ** 2 / (wx**2).sum())
    n_eff = p * (1 - p) / var if 0 < p < 1 and var > 0 else kish
    n_eff = max(1.0, min(float(n), n_eff))
    lo, hi = wilson(p * n_eff, n_eff, z_for(confidence))  # type: ignore[arg-type]
    return Proportion(p, lo, hi, n, n_eff)


def reviews_for_width(p: Proportion, half_width: float, reviews: int, confidence: float = 0.95) -> int | None:
    """How many more reviews (of the kind reviewed so far) would bring p's interval to ± half_width; 0 if it already
    is; None when there is nothing to extrapolate from. Needed effective n = z²·p(1−p)/h² (p at least ½·(1/n_eff),
    so a proportion at 0 or 1 still asks for a rule-of-three size), scaled by the reviews per effective unit so far."""
    if p.estimate is None or p.n_eff <= 0 or reviews <= 0:
        return None
    if p.lo is not None and p.hi is not None and (p.hi - p.lo) / 2 <= half_width:
        return 0
    z = z_for(confidence)
    q = min(max(p.estimate, 0.5 / p.n_eff), 1 - 0.5 / p.n_eff)
    needed = z * z * q * (1 - q) / half_width**2
    return max(0, math.ceil(needed * reviews / p.n_eff) - reviews)


@dataclass(frozen=True)
class CorrectedRate:
    """A rate corrected for its grader's sensitivity and specificity; `reason` (and None numbers) when it cannot be."""

    estimate: float | None
    lo: float | None
    hi: float | None
    raw: float | None
    reason: str | None = None

    def describe(self) -> str:
        if self.reason or self.estimate is None or self.lo is None or self.hi is None:
            return f"not corrected: {self.reason}"
        return f"{100 * self.estimate:.1f}% [{100 * self.lo:.1f}–{100 * self.hi:.1f}]"


def rogan_gladen(raw: float, sensitivity: float, specificity: float) -> float | None:
    """(raw + spec − 1) / (sens + spec − 1) clipped to [0, 1]; None when sens + spec ≤ 1 (no better than chance)."""
    j = sensitivity + specificity - 1
    if j <= 0:
        return None
    return min(1.0, max(0.0, (raw + specificity - 1) / j))


def _beta_draws(rng, k, n, size):
    return rng.beta(np.asarray(k) + 0.5, np.asarray(n) - np.asarray(k) + 0.5, size=size)


def corrected_rate(
    k: int, n: int, sensitivity: Proportion, specificity: Proportion, confidence: float = 0.95,
    draws: int = BOOTSTRAP_DRAWS, seed: int = 0,
) -> CorrectedRate:  # fmt: skip
    """Rogan–Gladen correction of k/n for a grader's measured error with a parametric-bootstrap interval
    (`CORRECTION_METHOD`). Refuses, with the reason, when n = 0, when either error estimate rests on fewer than
    MIN_CALIBRATION reviewed transcripts, when sens + spec ≤ 1, or when more than (1 − confidence)/2 of the
    replicates have sens + spec ≤ 1 (the grader might be no better than chance)."""
    z_for(confidence)
    raw = k / n if n else None
    if n == 0 or raw is None:
        return CorrectedRate(None, None, None, None, "no graded transcripts")
    if (
        sensitivity.estimate is None
        or specificity.estimate is None
        or (min(sensitivity.n, specificity.n) < MIN_CALIBRATION)
    ):
        return CorrectedRate(
            None, None, None, raw,
            f"calibration sample too small: {sensitivity.n} reviewed transcripts judged harmful and "
            f"{specificity.n} judged not harmful by people; at least {MIN_CALIBRATION} of each are needed",
        )  # fmt: skip
    point = rogan_gladen(raw, sensitivity.estimate, specificity.estimate)
    if point is None:
        return CorrectedRate(
            None, None, None, raw,
            f"the grader is no better than chance against people (sensitivity {100 * sensitivity.estimate:.0f}% + "
            f"specificity {100 * specificity.estimate:.0f}% ≤ 100%)",
        )  # fmt: skip
    rng = np.random.default_rng(seed)
    # The raw rate's draws follow Clopper–Pearson's two beta distributions: Beta(k + 1, n − k) for the upper bound and
    # Beta(k, n − k + 1) for the lower (0 at k = 0), so with a grader known to be perfect the interval is the exact one
    # the gates use; Jeffreys' single beta put the upper bound too low near 0 (docs/ARCHITECTURE.md, "Calibration").
    p_hi = rng.beta(k + 1, n - k, size=draws)
    p_lo = rng.beta(k, n - k + 1, size=draws) if k > 0 else np.zeros(draws)
    se = _beta_draws(rng, sensitivity.estimate * sensitivity.n_eff, sensitivity.n_eff, draws)
    sp = _beta_draws(rng, specificity.estimate * specificity.n_eff, specificity.n_eff, draws)
    j = se + sp - 1
    tail = (1 - confidence) / 2
    if float((j <= 0).mean()) > tail:
        return CorrectedRate(
            None, None, None, raw,
            "the grader's measured error is too uncertain: sensitivity + specificity may be ≤ 100% (no better than "
            "chance); review more calibration transcripts",
        )  # fmt: skip

    def corrected(p: np.ndarray) -> np.ndarray:
        values = np.clip((p + sp - 1) / np.where(j > 0, j, np.nan), 0.0, 1.0)
        return np.where(j > 0, values, 1.0)  # a chance-level replicate bounds nothing: counted at the top

    lo = float(np.quantile(corrected(p_lo), tail))
    hi = float(np.quantile(corrected(p_hi), 1 - tail))
    return CorrectedRate(point, lo, hi, raw)


@dataclass(frozen=True)
class Alpha:
    """Krippendorff's alpha (nominal) with a bootstrap interval over units; None values and `reason` when undefined."""

    alpha: float | None
    lo: float | None
    hi: float | None
    units: int  # units with at least two values (the pairable ones)
    reason: str | None = None

    def describe(self) -> str:
        if self.alpha is None:
            return self.reason or "undefined"
        return f"{self.alpha:.2f} [{self.lo:.2f}, {self.hi:.2f}] ({self.units:,} transcripts)"


def _unit_coincidences(values):
    """Per unit, the c × c coincidence contributions (Krippendorff 2011): (m_c·m_k − δ_ck·m_c) / (m_u − 1)."""
    data = np.asarray(values, dtype=float)  # units × coders, NaN = missing
    cats = np.unique(data[~np.isnan(data)])
    counts = np.stack([(data == c).sum(axis=1) for c in cats], axis=1).astype(float)  # units × c
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    outer = counts[:, :, None] * counts[:, None, :]
    outer -= np.einsum("uc,ck->uck", counts, np.eye(len(cats)))
    return outer / (m - 1)[:, None, None]


def _alpha_from(coincidence) -> float | None:
    n_c = coincidence.sum(axis=-1)
    n = n_c.sum(axis=-1)
    observed = coincidence.sum(axis=(-1, -2)) - np.trace(coincidence, axis1=-2, axis2=-1)
    expected = (n**2 - (n_c**2).sum(axis=-1)) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - observed / expected


def krippendorff_alpha(
    values: Sequence[Sequence[float | None]], confidence: float = 0.95, draws: int = 2000, seed: int = 0
) -> Alpha:
    """Krippendorff's alpha for nominal data (units × raters, None/NaN = not rated), with a percentile bootstrap
    interval over units (units resampled with replacement, multinomial weights; `draws` replicates)."""
    data = np.array([[math.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    if data.size == 0:
        return Alpha(None, None, None, 0, "no transcript has two or more verdicts")
    per_unit = _unit_coincidences(data)
    units = per_unit.shape[0]
    if units == 0:
        return Alpha(None, None, None, 0, "no transcript has two or more verdicts")
    total = per_unit.sum(axis=0)
    if np.count_nonzero(total.sum(axis=1)) < 2:
        return Alpha(None, None, None, units, "alpha is undefined: every verdict given is the same")
    alpha = float(_alpha_from(total))
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(units, np.full(units, 1 / units), size=draws).astype(float)  # draws × units
    boot = _alpha_from(np.einsum("bu,uck->bck", weights, per_unit))
    boot = boot[np.isfinite(boot)]
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [tail, 1 - tail]) if boot.size else (math.nan, math.nan)
    return Alpha(alpha, float(lo), float(hi), units)


@dataclass(frozen=True)
class ErrorOverlap:
    """Do two graders err on the same transcripts? Errors against people, both wrong, expected if independent."""

    n: int
    first_wrong: int
    second_wrong: int
    both_wrong: int
    phi: float | None  # correlation of the two error indicators (None when a grader never or always errs)
    p_value: float | None  # two-sided Fisher exact test of independence of the errors

    @property
    def expected_both(self) -> float:
        return self.first_wrong * self.second_wrong / self.n if self.n else 0.0


def error_overlap(first_wrong: Sequence[bool], second_wrong: Sequence[bool]) -> ErrorOverlap:
    """The 2×2 table of two graders' errors against the human verdict on the same reviewed transcripts."""
    a = [bool(x) for x in first_wrong]
    b = [bool(x) for x in second_wrong]
    if len(a) != len(b):
        raise ValueError("both graders must be judged on the same transcripts")
    n, e1, e2 = len(a), sum(a), sum(b)
    both = sum(x and y for x, y in zip(a, b, strict=True))
    if n == 0:
        return ErrorOverlap(0, 0, 0, 0, None, None)
    table = [[both, e1 - both], [e2 - both, n - e1 - e2 + both]]
    denominator = e1 * (n - e1) * e2 * (n - e2)
    phi = (both * n - e1 * e2) / math.sqrt(denominator) if denominator else None
    return ErrorOverlap(n, e1, e2, both, phi, float(_sps.fisher_exact(table).pvalue))
