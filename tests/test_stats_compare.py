"""Comparison statistics (docs/ARCHITECTURE.md) against published values and statsmodels (a test-only dependency)."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from evalboard.core.stats import (
    Z95,
    clopper_pearson,
    compare,
    fisher_p,
    format_points,
    holm,
    holm_adjust,
    mcnemar_p,
    newcombe_diff,
    ratio_interval,
    wilson,
    z_for,
)

# --- Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (hybrid score, no continuity correction).
# The paper reports p1 − p2; newcombe_diff returns B − A, so the paper's first sample is passed as B.
NEWCOMBE_1998 = [
    # (m, a) = first sample, (n, b) = second sample, lower, upper
    ((56, 70), (48, 80), 0.0524, 0.3339),  # (a)
    ((9, 10), (3, 10), 0.1705, 0.8090),  # (b)
    ((5, 56), (0, 29), -0.0381, 0.1926),  # (d)
    ((0, 10), (0, 20), -0.1611, 0.2775),  # (e)
    ((0, 10), (0, 10), -0.2775, 0.2775),  # (f)
    ((10, 10), (0, 20), 0.6791, 1.0000),  # (g)
    ((10, 10), (0, 10), 0.6075, 1.0000),  # (h)
]


@pytest.mark.parametrize(("first", "second", "lower", "upper"), NEWCOMBE_1998)
def test_newcombe_matches_the_paper(first, second, lower, upper):
    (k1, n1), (k2, n2) = first, second
    d, lo, hi = newcombe_diff(k2, n2, k1, n1)
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


def test_newcombe_sign_convention_is_b_minus_a():
    d, lo, hi = newcombe_diff(56, 70, 48, 80)  # A = 56/70, B = 48/80: B is lower
    assert d == pytest.approx(-0.2)
    assert (lo, hi) == pytest.approx((-0.3339, -0.0524), abs=5e-5)


def test_notes_worked_numbers():
    # Worked example: 12/50 vs 3/50 → Newcombe (0.039, 0.320), Fisher p = 0.023.
    d, lo, hi = newcombe_diff(3, 50, 12, 50)
    assert d == pytest.approx(0.18)
    assert (round(lo, 3), round(hi, 3)) == (0.039, 0.320)
    assert round(fisher_p(12, 50, 3, 50), 3) == 0.023
    # The NOTES table, Wilson and Clopper–Pearson columns.
    assert [round(x, 3) for x in wilson(0, 50)] == [0, 0.071]
    assert [round(x, 3) for x in wilson(1, 50)] == [0.004, 0.105]
    assert [round(x, 3) for x in clopper_pearson(1, 50)] == [0.001, 0.106]
    assert [round(x, 3) for x in clopper_pearson(3, 50)] == [0.013, 0.165]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(3, 50, 12, 50), (0, 7, 4, 9), (120, 543, 16, 530), (1, 1, 0, 3)])
def test_newcombe_matches_statsmodels(k1, n1, k2, n2):
    expected = confint_proportions_2indep(k2, n2, k1, n1, method="newcomb", compare="diff")
    assert newcombe_diff(k1, n1, k2, n2)[1:] == pytest.approx(expected, abs=1e-10)


COUNTS = [(0, 1), (1, 1), (0, 50), (1, 50), (3, 50), (50, 50), (7, 9), (37, 412), (0, 1000), (999, 1000)]


@pytest.mark.parametrize(("k", "n"), COUNTS)
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_clopper_pearson_matches_statsmodels(k, n, confidence):
    expected = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    assert clopper_pearson(k, n, confidence) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_wilson_matches_statsmodels(k, n):
    assert wilson(k, n) == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson"), abs=1e-12)


def test_exact_bounds_at_the_edges():
    assert clopper_pearson(0, 20) == (0.0, pytest.approx(1 - 0.025 ** (1 / 20)))
    assert clopper_pearson(20, 20) == (pytest.approx(0.025 ** (1 / 20)), 1.0)
    assert clopper_pearson(0, 1)[0] == 0.0 and clopper_pearson(1, 1)[1] == 1.0


def test_n_zero_gives_nan_not_a_crash():
    assert all(math.isnan(x) for x in clopper_pearson(0, 0))
    assert all(math.isnan(x) for x in newcombe_diff(0, 0, 3, 10))
    assert ratio_interval(0, 0, 3, 10).estimate is None


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, -1)])
def test_bad_counts_raise(k, n):
    with pytest.raises(ValueError, match="0 <= k <= n"):
        clopper_pearson(k, n)


def test_z_for():
    assert z_for(0.95) == pytest.approx(Z95, abs=1e-15)
    with pytest.raises(ValueError, match="confidence"):
        z_for(1.0)


# --- ratio A/B ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"),
    [(12, 50, 3, 50), (3, 50, 12, 50), (120, 543, 16, 530), (50, 50, 1, 50), (5, 10, 0, 10), (0, 10, 5, 10)],
)
def test_ratio_matches_statsmodels_score(k1, n1, k2, n2):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="score", compare="ratio")
    r = ratio_interval(k1, n1, k2, n2)
    assert r.lo == pytest.approx(max(0.0, lo), abs=1e-8)
    assert r.hi == pytest.approx(hi, rel=1e-8) if math.isfinite(hi) else math.isinf(r.hi)


def test_ratio_zeros_are_named_not_nan():
    assert ratio_interval(5, 10, 0, 10).estimate == math.inf
    assert ratio_interval(0, 10, 5, 10).estimate == 0.0
    both = ratio_interval(0, 10, 0, 10)
    assert (both.estimate, both.lo, both.hi) == (None, 0.0, math.inf)
    assert both.describe() == "ratio undefined (no harmful samples on either side)"
    assert ratio_interval(5, 10, 0, 10).describe() == "ratio unbounded (no harmful samples in B); A/B ≥ 1.6"
    assert ratio_interval(0, 10, 5, 10).describe() == "ratio unbounded (no harmful samples in A); B/A ≥ 1.6"
    assert ratio_interval(0, 0, 5, 10).describe() == "no samples"


def test_ratio_is_symmetric_under_swap():
    ab, ba = ratio_interval(12, 50, 3, 50), ratio_interval(3, 50, 12, 50)
    assert ab.lo == pytest.approx(1 / ba.hi) and ab.hi == pytest.approx(1 / ba.lo)
    assert ab.describe() == "4.0x lower [1.3–13]"
    assert ba.describe() == "4.0x higher [1.3–13]"


# --- tests -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("b", "c"), [(0, 0), (0, 5), (5, 0), (3, 12), (12, 3), (40, 41), (1, 1), (10, 30)])
def test_mcnemar_matches_statsmodels(b, c):
    assert mcnemar_p(b, c) == pytest.approx(mcnemar([[10, b], [c, 10]], exact=True).pvalue, abs=1e-12)


@pytest.mark.parametrize(
    "ps", [[0.01, 0.04, 0.03, 0.005], [0.5], [0.2, 0.2, 0.2], [0.001, 0.9, 0.04, 0.04, 0.6, 0.0], []]
)
def test_holm_matches_statsmodels(ps):
    expected = list(multipletests(ps, method="holm")[1]) if ps else []
    assert holm(ps) == pytest.approx(expected, abs=1e-12)


def test_holm_rejects_non_probabilities():
    with pytest.raises(ValueError):
        holm([0.1, math.nan])


@given(st.lists(st.floats(0, 1), max_size=30))
def test_holm_is_monotone_and_never_below_raw(ps):
    adjusted = holm(ps)
    assert all(p <= a <= 1 for p, a in zip(ps, adjusted, strict=True))
    by_raw = [a for _, a in sorted(zip(ps, adjusted, strict=True))]
    assert by_raw == sorted(by_raw)


def test_fisher_with_empty_side_is_no_evidence():
    assert fisher_p(0, 0, 3, 10) == 1.0


# --- compare -----------------------------------------------------------------------------------------------------


def test_compare_small_counts_uses_fisher():
    c = compare(3, 50, 12, 50)  # expected harmful cells are 7.5: interval decides
    assert not c.small_counts and c.significant
    small = compare(5, 50, 0, 50)  # expected 2.5 < 5: Fisher decides (p = 0.056) though Newcombe excludes 0
    assert small.small_counts and small.diff_hi is not None and small.diff_hi < 0
    assert not small.significant
    assert "Fisher p=0.056; small counts" in small.describe()


def test_compare_describe_headline():
    c = compare(120, 543, 16, 530)
    text = c.describe()
    assert text.startswith("22.1% [18.8–25.8] (120/543) → 3.0% [1.9–4.8] (16/530): −19.1 pts [−22.9, −15.3]")
    assert "7.3x lower" in text and "significant" in text and "nan" not in text.lower()
    assert not c.regression  # B is better


def test_compare_regression_flag():
    assert compare(3, 50, 12, 50).regression
    assert not compare(12, 50, 3, 50).regression


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2", "expected"),
    [
        (0, 0, 0, 0, "A and B: no samples; nothing to compare"),
        (0, 0, 3, 10, "A: no samples; nothing to compare"),
        (3, 10, 0, 0, "B: no samples; nothing to compare"),
    ],
)
def test_compare_without_samples(k1, n1, k2, n2, expected):
    c = compare(k1, n1, k2, n2)
    assert c.describe() == expected
    assert c.p_value is None and c.diff is None and not c.significant and not c.regression


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"), [(0, 1, 0, 1), (1, 1, 1, 1), (0, 1, 1, 1), (0, 50, 0, 50), (50, 50, 0, 50)]
)
def test_compare_tiny_and_extreme_never_print_nan(k1, n1, k2, n2):
    text = compare(k1, n1, k2, n2).describe()
    assert "nan" not in text.lower() and "inf" not in text.lower()


def test_holm_adjust_across_families():
    comps = [compare(3, 50, 12, 50), compare(10, 50, 11, 50), compare(0, 0, 1, 1), compare(40, 200, 10, 200)]
    adjusted = holm_adjust(comps)
    raw = [c.p_value for c in comps if c.p_value is not None]
    assert [c.p_holm for c in adjusted if c.p_holm is not None] == pytest.approx(holm(raw))
    assert adjusted[2].p_holm is None and adjusted[2].significant_holm is False
    assert adjusted[1].significant_holm is False
    assert adjusted[3].significant_holm is True
    assert "Holm-adjusted Fisher" in adjusted[0].describe()


def test_format_points_never_prints_negative_zero():
    assert format_points(-0.00001, -0.1, 0.1) == "0.0 pts [−10.0, +10.0]"


# --- properties --------------------------------------------------------------------------------------------------

counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
levels = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])


@given(counts, levels)
def test_clopper_pearson_contains_estimate_and_lies_in_unit_interval(kn, confidence):
    k, n = kn
    lo, hi = clopper_pearson(k, n, confidence)
    assert 0 <= lo <= k / n <= hi <= 1


@given(counts, levels, levels)
def test_clopper_pearson_widens_with_confidence(kn, c1, c2):
    k, n = kn
    (lo1, hi1), (lo2, hi2) = clopper_pearson(k, n, min(c1, c2)), clopper_pearson(k, n, max(c1, c2))
    assert lo2 <= lo1 + 1e-12 and hi1 <= hi2 + 1e-12


@given(counts, counts, levels)
def test_newcombe_contains_difference_and_stays_in_range(a, b, confidence):
    d, lo, hi = newcombe_diff(*a, *b, confidence)
    assert -1 <= lo <= d + 1e-12 and d - 1e-12 <= hi <= 1


@given(counts, counts, levels, levels)
def test_newcombe_widens_with_confidence(a, b, c1, c2):
    _, lo1, hi1 = newcombe_diff(*a, *b, min(c1, c2))
    _, lo2, hi2 = newcombe_diff(*a, *b, max(c1, c2))
    assert lo2 <= lo1 + 1e-12 and hi1 <= hi2 + 1e-12


@given(counts, counts, levels)
def test_ratio_contains_estimate(a, b, confidence):
    r = ratio_interval(*a, *b, confidence)
    assert r.lo is not None and r.hi is not None and 0 <= r.lo <= r.hi
    if r.estimate is not None:
        assert r.lo <= r.estimate * (1 + 1e-9) and r.estimate <= r.hi * (1 + 1e-9)
    assert "nan" not in r.describe().lower()


@given(counts, counts)
def test_compare_describe_never_nan(a, b):
    assert "nan" not in compare(*a, *b).describe().lower()


def test_exact_interval_at_a_fractional_count_lies_between_its_neighbours():
    """Readiness projects an observed rate to a larger n with the one exact interval at a fractional k."""
    below, at, above = clopper_pearson(2, 60), clopper_pearson(2.5, 60), clopper_pearson(3, 60)
    assert below[0] < at[0] < above[0] and below[1] < at[1] < above[1]
    assert clopper_pearson(0.0, 60)[0] == 0.0 and clopper_pearson(60.0, 60)[1] == 1.0
