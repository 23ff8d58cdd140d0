"""Statistics of calibration: design-weighted error rates, the corrected rate (with a simulation of its coverage
against a known truth), Krippendorff's alpha against published worked examples, overlapping grader errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from evalboard.core.stats import (
    MIN_CALIBRATION,
    Proportion,
    clopper_pearson,
    corrected_rate,
    error_overlap,
    krippendorff_alpha,
    reviews_for_width,
    rogan_gladen,
    weighted_proportion,
    wilson,
)

TRUTH, SENS, SPEC = 0.10, 0.80, 0.95


def simulate(reps: int, stratified: bool, seed: int, view: int = 2000, truth: float = TRUTH):
    """`reps` datasets: `view` transcripts with a true rate, a grader of known error, and a random calibration sample
    whose human verdicts are the truth (simple random, or stratified by the grader's verdict with harmful verdicts
    oversampled). Yields (corrected, raw k)."""
    rng = np.random.default_rng(seed)
    for r in range(reps):
        truth_v = rng.random(view) < truth
        grader = np.where(truth_v, rng.random(view) < SENS, rng.random(view) >= SPEC)
        if stratified:
            pos, neg = np.flatnonzero(grader), np.flatnonzero(~grader)
            idx = np.concatenate([rng.choice(pos, 60, replace=False), rng.choice(neg, 90, replace=False)])
            strata = np.where(grader[idx], "harmful", "safe")
            population = {"harmful": len(pos), "safe": len(neg)}
        else:
            idx = rng.choice(view, 300, replace=False)
            strata, population = np.full(300, "all"), {"all": view}
        human, said = truth_v[idx], grader[idx]
        sens = weighted_proportion(said & human, human, strata, population)
        spec = weighted_proportion(~said & ~human, ~human, strata, population)
        yield corrected_rate(int(grader.sum()), view, sens, spec, seed=r), int(grader.sum())


@pytest.mark.parametrize("stratified", [False, True])
def test_the_corrected_interval_covers_the_truth_while_the_raw_rate_is_biased(stratified):
    covered = raw_covered = 0
    reps = 500
    for corrected, k in simulate(reps, stratified, seed=11 + stratified):
        assert corrected.reason is None, corrected.reason
        covered += corrected.lo <= TRUTH <= corrected.hi
        lo, hi = wilson(k, 2000)
        raw_covered += lo <= TRUTH <= hi
    assert covered / reps >= 0.93  # nominal 95%
    assert raw_covered / reps < 0.2  # the raw rate (≈ 0.8·10% + 0.05·90% = 12.5%) misses the truth


def test_rogan_gladen_recovers_the_truth_from_the_expected_raw_rate():
    raw = SENS * TRUTH + (1 - SPEC) * (1 - TRUTH)
    assert rogan_gladen(raw, SENS, SPEC) == pytest.approx(TRUTH)
    assert rogan_gladen(0.01, SENS, SPEC) == 0.0  # below the false-positive floor: clipped
    assert rogan_gladen(0.3, 0.5, 0.5) is None


def _p(estimate: float, n: int) -> Proportion:
    return Proportion(estimate, *wilson(round(estimate * n), n), n, float(n))


def test_with_a_grader_known_to_be_perfect_the_interval_is_clopper_pearsons():
    perfect = Proportion(1.0, 1.0, 1.0, 10**9, 1e12)
    for k, n in ((0, 300), (8, 564), (40, 200)):
        corrected = corrected_rate(k, n, perfect, perfect, draws=40_000)
        lo, hi = clopper_pearson(k, n)
        assert corrected.estimate == pytest.approx(k / n)
        assert (corrected.lo, corrected.hi) == (pytest.approx(lo, abs=2e-3), pytest.approx(hi, abs=2e-3))


@pytest.mark.parametrize("truth", [0.005, 0.02, 0.05])
def test_near_zero_the_upper_bound_still_covers(truth):
    """A gate reads the upper bound: near 0 (where clipping at 0 skews the bootstrap) it must cover the truth at about
    the one-sided 97.5% of a two-sided 95% interval (here at least 95.5% of 500 datasets)."""
    rng = np.random.default_rng(int(truth * 1000))
    upper, reps = 0, 500
    for r in range(reps):
        truth_v = rng.random(564) < truth
        said = np.where(truth_v, rng.random(564) < 0.87, rng.random(564) >= 0.996)
        human = np.r_[np.ones(150, bool), np.zeros(150, bool)]  # reviewed transcripts from a large population
        graded = np.where(human, rng.random(300) < 0.87, rng.random(300) >= 0.996)
        strata, population = np.full(300, "all"), {"all": 10**9}
        sens = weighted_proportion(graded & human, human, strata, population)
        spec = weighted_proportion(~graded & ~human, ~human, strata, population)
        corrected = corrected_rate(int(said.sum()), 564, sens, spec, seed=r)
        upper += corrected.hi is not None and truth <= corrected.hi
    assert upper / reps >= 0.955


def test_a_chance_level_or_unmeasured_grader_gets_a_reason_not_a_number():
    chance = corrected_rate(30, 200, _p(0.55, 100), _p(0.40, 100))
    assert chance.estimate is None and "no better than chance" in chance.reason
    small = corrected_rate(30, 200, _p(0.9, MIN_CALIBRATION - 1), _p(0.9, 100))
    assert small.estimate is None and "too small" in small.reason and small.describe().startswith("not corrected")
    shaky = corrected_rate(30, 200, _p(0.6, 12), _p(0.5, 12))
    assert shaky.estimate is None and "too uncertain" in shaky.reason
    assert corrected_rate(0, 0, _p(0.9, 50), _p(0.9, 50)).reason == "no graded transcripts"


def test_one_stratum_taken_whole_is_the_plain_wilson_interval():
    hits = [True] * 7 + [False] * 13 + [False] * 10
    base = [True] * 20 + [False] * 10
    p = weighted_proportion(hits, base, ["s"] * 30, {"s": 30})
    lo, hi = proportion_confint(7, 20, method="wilson")
    assert (p.estimate, p.n, p.n_eff) == (pytest.approx(0.35), 20, 20.0)
    assert (p.lo, p.hi) == (pytest.approx(lo), pytest.approx(hi))


def test_strata_are_weighted_by_their_sampling_rate():
    # Stratum a: 10 of 1,000 reviewed, 5 hits of 10; stratum b: 10 of 100 reviewed, 10 hits of 10.
    hits = [True] * 5 + [False] * 5 + [True] * 10
    p = weighted_proportion(hits, [True] * 20, ["a"] * 10 + ["b"] * 10, {"a": 1000, "b": 100})
    assert p.estimate == pytest.approx((500 + 100) / 1100)
    assert p.n_eff < 20 and p.lo < p.estimate < p.hi
    with pytest.raises(ValueError):
        weighted_proportion([True], [False], ["a"], {"a": 1})


def test_reviews_for_width_grows_with_the_precision_asked():
    p = weighted_proportion([True] * 16 + [False] * 4, [True] * 20, ["s"] * 20, {"s": 10_000})
    wide, narrow = reviews_for_width(p, 0.10, 40), reviews_for_width(p, 0.05, 40)
    assert 0 < wide < narrow
    # at ±5 points an 80% proportion needs 1.96²·0.16/0.0025 ≈ 246 in its denominator; 20 of 40 reviews are there
    assert narrow == math.ceil(1.959963984540054**2 * 0.8 * 0.2 / 0.05**2 * 40 / p.n_eff) - 40
    assert reviews_for_width(p, 0.5, 40) == 0


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units, nominal data.
RELIABILITY_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_krippendorffs_alpha_matches_the_published_worked_examples():
    units = list(map(list, zip(*RELIABILITY_DATA, strict=True)))
    result = krippendorff_alpha(units)
    assert result.alpha == pytest.approx(0.743, abs=5e-4)
    assert result.units == 11  # unit 12 has one value only: not pairable
    assert result.lo < result.alpha < result.hi <= 1
    # Section A: two observers, ten units, binary data: alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert krippendorff_alpha(list(zip(a, b, strict=True))).alpha == pytest.approx(0.095, abs=5e-4)
    assert krippendorff_alpha([[1, 1], [1, 1]]).reason.startswith("alpha is undefined")
    assert krippendorff_alpha([[1, None]]).reason.startswith("no transcript")


def test_error_overlap_against_fishers_test():
    from scipy.stats import fisher_exact

    first = [True] * 8 + [False] * 92
    second = [True] * 6 + [False] * 2 + [True] * 2 + [False] * 90
    overlap = error_overlap(first, second)
    assert (overlap.n, overlap.first_wrong, overlap.second_wrong, overlap.both_wrong) == (100, 8, 8, 6)
    assert overlap.expected_both == pytest.approx(0.64)
    assert overlap.p_value == pytest.approx(fisher_exact([[6, 2], [2, 90]]).pvalue)
    assert overlap.phi == pytest.approx((6 * 100 - 64) / math.sqrt(8 * 92 * 8 * 92))
    assert error_overlap([False] * 5, [True] * 5).phi is None
