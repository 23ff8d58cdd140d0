"""Statistics of issue 28 (what drives the rate, does the gain last) against scipy and statsmodels on fixtures."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import chi2, chi2_contingency
from statsmodels.stats.proportion import confint_proportions_2indep

from evalboard.core.stats import (
    Call,
    format_trend,
    gain_gap,
    homogeneity_test,
    logistic_trend,
    rate_spread,
    trend_difference,
)

TABLES = [
    [(30, 100), (12, 100), (3, 100)],
    [(5, 60), (6, 60)],
    [(1, 20), (0, 35), (9, 40), (2, 11)],
    [(400, 1000), (380, 990), (420, 1010), (395, 1005)],
]


@pytest.mark.parametrize("counts", TABLES)
def test_homogeneity_is_scipys_likelihood_ratio_test(counts):
    table = [[k for k, _ in counts], [n - k for k, n in counts]]
    g, p, df, _ = chi2_contingency(table, correction=False, lambda_="log-likelihood")
    test = homogeneity_test(counts)
    assert test.g == pytest.approx(g, rel=1e-9) and test.p == pytest.approx(p, rel=1e-9) and test.df == df


def test_homogeneity_without_variation_or_values_is_no_evidence():
    assert homogeneity_test([(0, 10), (0, 20)]).p == 1.0
    assert homogeneity_test([(10, 10), (20, 20)]).p == 1.0
    assert homogeneity_test([(3, 10), (0, 0)]).df == 0 and homogeneity_test([(3, 10)]).p == 1.0


@pytest.mark.parametrize("counts", TABLES)
def test_spread_is_the_newcombe_interval_of_highest_minus_lowest(counts):
    spread = rate_spread(counts)
    rates = [k / n for k, n in counts]
    assert spread.highest == rates.index(max(rates)) and spread.lowest == rates.index(min(rates))
    (k_hi, n_hi), (k_lo, n_lo) = counts[spread.highest], counts[spread.lowest]
    lo, hi = confint_proportions_2indep(k_hi, n_hi, k_lo, n_lo, method="newcomb", compare="diff")
    assert spread.diff == pytest.approx(k_hi / n_hi - k_lo / n_lo)
    assert (spread.lo, spread.hi) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
    assert rate_spread([(3, 10), (0, 0)]) is None


def _expand(rows):
    """One row per sample: (stratum, step, verdict), as statsmodels' Logit reads them."""
    out = []
    for s, x, k, n in rows:
        out += [(s, x, 1)] * k + [(s, x, 0)] * (n - k)
    return out


def _statsmodels_trend(rows, per=1000):
    samples = _expand(rows)
    strata = sorted({s for s, *_ in samples})
    x = np.array([[1.0 * (s == name) for name in strata] + [step / per] for s, step, _ in samples])
    y = np.array([v for *_, v in samples], float)
    full = sm.Logit(y, x).fit(disp=0)
    null = sm.Logit(y, x[:, :-1]).fit(disp=0)
    return full, full.get_margeff(at="overall", method="dydx"), null


TREND_ROWS = [
    [("a", 200, 10, 60), ("a", 400, 14, 60), ("a", 600, 19, 60), ("a", 800, 25, 60), ("a", 1000, 30, 60)],
    [
        ("a", 200, 5, 50),
        ("a", 600, 4, 50),
        ("a", 1000, 6, 50),
        ("b", 200, 30, 50),
        ("b", 600, 33, 50),
        ("b", 1000, 29, 50),
    ],  # fmt: skip
    [("a", 0, 2, 100), ("a", 500, 1, 100), ("a", 1000, 4, 100), ("a", 1500, 9, 400)],
]


@pytest.mark.parametrize("rows", TREND_ROWS)
def test_trend_is_statsmodels_logit_with_its_average_marginal_effect(rows):
    full, margeff, null = _statsmodels_trend(rows)
    trend = logistic_trend(rows)
    assert trend.log_odds == pytest.approx(full.params[-1], rel=1e-6)
    assert trend.slope == pytest.approx(margeff.margeff[-1], rel=1e-6)
    assert trend.se == pytest.approx(margeff.margeff_se[-1], rel=1e-5)
    lo, hi = margeff.conf_int()[-1]
    assert (trend.lo, trend.hi) == (pytest.approx(lo, rel=1e-5), pytest.approx(hi, rel=1e-5))
    assert trend.p == pytest.approx(chi2.sf(2 * (full.llf - null.llf), 1), rel=1e-6)


def test_a_flat_series_covers_zero_and_a_rising_one_does_not():
    flat = logistic_trend([("a", step, 12, 60) for step in (200, 400, 600, 800, 1000)])
    assert flat.lo < 0 < flat.hi and flat.slope == pytest.approx(0, abs=1e-9) and flat.p > 0.5
    rising = logistic_trend([("a", 200 * i, 6 * i, 60) for i in range(1, 6)])
    assert rising.lo > 0 and rising.p < 0.001
    assert format_trend(0.002, -0.004, 0.008) == "+0.2 pts per 1,000 steps [−0.4, +0.8]"


def test_a_trend_needs_two_steps_and_some_variation():
    assert logistic_trend([("a", 1000, 3, 60)]) is None
    assert logistic_trend([("a", 200, 0, 60), ("a", 1000, 0, 60)]) is None
    assert logistic_trend([("a", 200, 5, 60), ("b", 1000, 30, 60)]) is None  # each snapshot at one step only
    # a stratum all safe carries no information on the slope but counts in the average (its effect is 0)
    with_zero = logistic_trend([("a", 200, 6, 60), ("a", 1000, 30, 60), ("b", 200, 0, 60), ("b", 1000, 0, 60)])
    alone = logistic_trend([("a", 200, 6, 60), ("a", 1000, 30, 60)])
    assert with_zero.log_odds == pytest.approx(alone.log_odds) and with_zero.slope == pytest.approx(alone.slope / 2)


def test_difference_of_two_trends():
    a = logistic_trend(TREND_ROWS[0])
    b = logistic_trend([(s, x, k // 3, n) for s, x, k, n in TREND_ROWS[0]])
    d, lo, hi, p = trend_difference(a, b)
    se = math.sqrt(a.se**2 + b.se**2)
    assert d == pytest.approx(b.slope - a.slope) and hi - lo == pytest.approx(2 * 1.959963984540054 * se)
    assert p == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(d) / se / math.sqrt(2)))))


def test_gain_gap_is_a_difference_of_newcombe_differences_with_the_saturated_wald_test():
    counts = {"bh": (40, 100), "ih": (30, 100), "bt": (45, 120), "it": (6, 120)}
    gap = gain_gap(counts["bh"], counts["ih"], counts["bt"], counts["it"])
    held = confint_proportions_2indep(30, 100, 40, 100, method="newcomb", compare="diff")
    trained = confint_proportions_2indep(6, 120, 45, 120, method="newcomb", compare="diff")
    d1, d2 = 30 / 100 - 40 / 100, 6 / 120 - 45 / 120
    assert gap.diff == pytest.approx(d1 - d2)
    assert gap.lo == pytest.approx(d1 - d2 - math.hypot(d1 - held[0], trained[1] - d2))
    assert gap.hi == pytest.approx(d1 - d2 + math.hypot(held[1] - d1, d2 - trained[0]))
    # The Wald test of the interaction in the saturated identity-link binomial model is the gap's z-test.
    rows = []
    cells = ((1, 0, counts["bh"]), (1, 1, counts["ih"]), (0, 0, counts["bt"]), (0, 1, counts["it"]))
    for held_out, arm, (k, n) in cells:
        rows += [(held_out, arm, 1)] * k + [(held_out, arm, 0)] * (n - k)
    data = np.array(rows, float)
    x = np.column_stack([np.ones(len(data)), data[:, 0], data[:, 1], data[:, 0] * data[:, 1]])
    with warnings.catch_warnings():  # the identity link is fine here: every fitted rate is inside (0, 1)
        warnings.simplefilter("ignore")
        fit = sm.GLM(data[:, 2], x, family=sm.families.Binomial(link=sm.families.links.Identity())).fit()
    assert gap.p == pytest.approx(fit.pvalues[-1], rel=1e-4)
    assert gap.call is Call.HIGHER  # the gain is significantly smaller on held-out families
    assert gain_gap((0, 0), (1, 2), (1, 2), (1, 2)).call is Call.UNTESTED
