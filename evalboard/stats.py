"""Intervals for rates computed from counts (docs/ARCHITECTURE.md, "Statistics"). Pure functions, no I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

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


def z_for(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level in (0, 1); 0.95 → 1.95996…."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(_sps.norm.ppf(0.5 + confidence / 2))


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for k of n: beta quantiles, exactly 0 at k=0 and 1 at k=n; NaNs at n=0."""
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
