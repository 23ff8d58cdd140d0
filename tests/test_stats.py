import math

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from evalboard.core.stats import format_rate, wilson, with_intervals


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [(0, 50, 0.0, 0.071), (1, 50, 0.004, 0.105), (3, 50, 0.021, 0.162)],  # worked numbers
)
def test_wilson_matches_published_values(k, n, lo, hi):
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=5e-4)
    assert got[1] == pytest.approx(hi, abs=5e-4)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_agrees_with_statsmodels(kn):
    k, n = kn
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-9)
    assert got[1] == pytest.approx(hi, abs=1e-9)
    assert 0 <= got[0] <= k / n <= got[1] <= 1


def test_wilson_edges():
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == 1.0
    assert all(math.isnan(x) for x in wilson(0, 0))
    with pytest.raises(ValueError):
        wilson(5, 3)


def test_with_intervals_matches_scalar_and_handles_zero_n():
    frame = with_intervals(pl.DataFrame({"k": [0, 3, 50, 0], "n": [50, 50, 50, 0]}))
    for row in frame.head(3).to_dicts():
        lo, hi = wilson(row["k"], row["n"])
        assert row["lo"] == pytest.approx(lo) and row["hi"] == pytest.approx(hi)
    last = frame.row(3, named=True)
    assert last["rate"] is None and last["lo"] is None and last["hi"] is None


def test_format_rate():
    assert format_rate(37, 412) == "9.0% [6.6–12.1] (37/412)"
    assert format_rate(0, 0) == "no samples"
