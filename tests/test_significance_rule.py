"""The one significance rule (stats.SIGNIFICANCE_RULE): every verdict, test text, chart marker, CSV column and
headline on Compare, and Readiness's rise/fall wording, say what `Call` says, for any counts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.core.stats import SIGNIFICANCE_RULE, Call, Trend, compare, gain_gap, holm_adjust, significance_call
from evalboard.present import charts
from evalboard.screens.compare import export as cmp_export
from evalboard.screens.compare import frames as cmp_frames
from evalboard.screens.compare import result as cmp
from evalboard.screens.compare import text as cmp_text
from evalboard.screens.readiness.gates import Gate
from evalboard.screens.readiness.rules import Status, family_verdict
from evalboard.screens.readiness.text import REGRESSION_WORDS, reason
from evalboard.screens.trends import GapTrend, HeldOut, RunTrend

A = cmp.Side("s1", "baseline", "rl")
B = cmp.Side("s1", "fix", "rl")
T0 = datetime(2026, 1, 1, tzinfo=UTC)

VERDICT_START = {Call.LOWER: "▼ lower", Call.HIGHER: "▲ higher", Call.INCONCLUSIVE: "? inconclusive"}
VERDICT_START |= {Call.NO_CHANGE: "no significant change", Call.UNTESTED: "no samples"}
TEST_START = {Call.LOWER: "significant (", Call.HIGHER: "significant (", Call.INCONCLUSIVE: "inconclusive ("}
TEST_START |= {Call.NO_CHANGE: "not significant (", Call.UNTESTED: "no test"}
MARKER = {Call.LOWER: "improvement", Call.HIGHER: "regression", Call.INCONCLUSIVE: "inconclusive", Call.NO_CHANGE: ""}


def options_frame() -> pl.DataFrame:
    """What `compare_options.sql` returns for one snapshot with two interventions at one RL checkpoint."""
    return pl.DataFrame(
        {
            "snapshot": ["s1", "s1"],
            "intervention": ["baseline", "fix"],
            "training_stage": ["rl", "rl"],
            "stage_step": [100, 100],
            "stage_rank": [2, 2],
            "n": [1, 1],
            "last_created": [T0, T0],
            "snapshot_created": [T0, T0],
        }
    )


def cells_frame(counts: list[tuple[int, int, int, int]]) -> pl.DataFrame:
    """What `compare_cells.sql` returns: per family and side, n, k and ungraded."""
    rows = []
    for i, (k_a, n_a, k_b, n_b) in enumerate(counts):
        for iv, k, n in (("baseline", k_a, n_a), ("fix", k_b, n_b)):
            if n:
                rows.append(
                    {"snapshot": "s1", "intervention": iv, "training_stage": "rl", "stage_step": 100, "stage_rank": 2,
                     "scenario_family": f"f{i}", "n": n, "k": k, "ungraded": 0}
                )  # fmt: skip
    return pl.DataFrame(rows)


def side(draw, max_n: int) -> tuple[int, int]:
    n = draw(st.integers(0, max_n))
    return draw(st.integers(0, n)), n


@st.composite
def family_counts(draw) -> tuple[int, int, int, int]:
    max_n = draw(st.sampled_from([5, 30, 120, 400]))  # small n and zeros are common, large n too
    (k_a, n_a), (k_b, n_b) = side(draw, max_n), side(draw, max_n)
    if n_a + n_b == 0:
        n_a, k_a = 1, 0
    return k_a, n_a, k_b, n_b


def check_rule(c, p) -> None:
    """The call is the written rule: Holm-adjusted Fisher p < 0.05 and the interval excludes 0, both needed."""
    call = c.call
    if not c.has_samples:
        assert call is Call.UNTESTED
        return
    rejects, excludes = p < 0.05, c.diff_lo > 0 or c.diff_hi < 0
    assert call.significant == (rejects and excludes)
    assert (call is Call.INCONCLUSIVE) == (rejects != excludes)
    if call is Call.HIGHER:
        assert c.diff_lo > 0
    if call is Call.LOWER:
        assert c.diff_hi < 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(family_counts(), min_size=1, max_size=5))
def test_verdict_test_text_marker_csv_and_headline_never_disagree(counts):
    options = cmp.Options.from_frame(options_frame())
    result = cmp.build(cells_frame(counts), A, B, options)
    rows = [*result.rows, result.pooled]
    table = cmp_text.table(result).to_dicts()
    kinds = cmp_text.row_kinds(result)
    csv_rows = list(
        csv.DictReader(io.StringIO("\n".join(x for x in cmp_export.to_csv(result, {}).splitlines() if x[:1] != "#")))
    )
    diffs = {r["family"]: r for r in cmp_frames.diffs_frame(result).to_dicts()}
    forest = charts.difference_forest(cmp_frames.diffs_frame(result))
    colors = dict(zip(forest.data[0].y, forest.data[0].marker.color, strict=True)) if diffs else {}
    for i, row in enumerate(rows):
        call, c = row.call, row.comparison
        check_rule(c, c.p_holm if not row.pooled else c.p_value)
        assert row.verdict().startswith(VERDICT_START[call])
        assert table[i]["verdict"] == row.verdict()
        assert table[i]["test"].startswith(TEST_START[call]) and table[i]["test"] == row.test_text()
        assert csv_rows[i]["call"] == call.value and csv_rows[i]["verdict"] == row.verdict()
        assert csv_rows[i]["significant"] == str(call.significant)
        if not row.pooled:
            assert kinds[i] == MARKER.get(call, "")
        if c.has_samples:
            assert diffs[row.label]["call"] == call.value
            assert colors[row.label] == charts.CALL_COLORS[MARKER[call]]

    text = cmp_text.headline(result)
    pooled = result.pooled
    if pooled.comparison.has_samples:
        assert (" lowers " in text) == (pooled.call is Call.LOWER)
        assert (" raises " in text) == (pooled.call is Call.HIGHER)
        assert ("shows no significant change" in text) == (pooled.call is Call.NO_CHANGE)
        assert (f"{B.intervention} makes to the harmful-action rate" in text) == (pooled.call is Call.INCONCLUSIVE)
    tested = [r for r in result.rows if r.comparison.has_samples]
    if len(tested) > 1:
        lower = sum(r.call is Call.LOWER for r in tested)
        higher = sum(r.call is Call.HIGHER for r in tested)
        assert f"significant in {lower + higher} of {len(tested)} families" in text
        assert f"({lower} lower, {higher} higher)" in text
        unclear = sum(r.call is Call.INCONCLUSIVE for r in tested)
        assert (f"inconclusive in {unclear} (" in text) == (unclear > 0)
    named = re.search(r"Regression: B is significantly worse than A on ([^.]*)\.", text)
    assert (named.group(1).split(", ") if named else []) == [r.family for r in tested if r.call is Call.HIGHER]


@pytest.mark.parametrize(("k_a", "n_a", "k_b", "n_b"), [(0, 50, 15, 200), (0, 80, 14, 300), (0, 100, 12, 300)])
def test_the_reported_contradictions_now_read_alike(k_a, n_a, k_b, n_b):
    # These pairs, as a one-family table, said "no significant change" beside "significant (Holm-adjusted Fisher
    # p=0.047; small counts)". Now the verdict and the test text are one call.
    comps = holm_adjust([compare(k_a, n_a, k_b, n_b)])
    c = comps[0]
    assert c.p_holm < 0.05 and c.diff_lo < 0 < c.diff_hi  # the test rejects, the interval includes 0
    assert c.call is Call.INCONCLUSIVE
    assert c.describe_significance().startswith("inconclusive (Holm-adjusted Fisher p=")
    assert "but the interval includes 0; small counts)" in c.describe_significance()


def test_rule_is_written_once_and_shown():
    assert (
        "Holm-adjusted" in SIGNIFICANCE_RULE and "Newcombe" in SIGNIFICANCE_RULE and "inconclusive" in SIGNIFICANCE_RULE
    )
    assert significance_call(0.1, 0.02, 0.2, 0.01) is Call.HIGHER
    assert significance_call(-0.1, -0.2, -0.02, 0.01) is Call.LOWER
    assert significance_call(0.1, -0.01, 0.2, 0.01) is Call.INCONCLUSIVE
    assert significance_call(0.1, 0.01, 0.2, 0.2) is Call.INCONCLUSIVE
    assert significance_call(0.1, -0.01, 0.2, 0.2) is Call.NO_CHANGE
    assert significance_call(None, None, None, None) is Call.UNTESTED


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.9, 0.95, 0.99]))  # fmt: skip
def test_readiness_rise_wording_is_the_same_call(before, now, confidence):
    (k0, n0), (k, n) = before, now
    gate = Gate(max_rate=1.0, min_samples=1, confidence=confidence, must_not_regress=True)
    v = family_verdict(k, n, gate, previous=(k0, n0))
    assert v.regression is not None and v.regression_call is not None
    assert v.regression_call is significance_call(*v.regression, compare(k0, n0, k, n).p_value, confidence)
    assert (v.status is Status.NOT_READY) == (v.regression_call is Call.HIGHER)
    assert ("significant regression" in reason(v)) == (v.regression_call is Call.HIGHER)
    assert REGRESSION_WORDS[v.regression_call].startswith(
        {Call.HIGHER: "significant rise", Call.LOWER: "significant fall", Call.INCONCLUSIVE: "inconclusive",
         Call.NO_CHANGE: "no significant change"}[v.regression_call]
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(*[st.integers(0, 40)] * 4).filter(lambda c: c[0] <= c[1] and c[2] <= c[3] and c[1] and c[3]),
    st.tuples(*[st.integers(0, 40)] * 4).filter(lambda c: c[0] <= c[1] and c[2] <= c[3] and c[1] and c[3]),
    st.one_of(st.none(), st.floats(0, 1)),
)
def test_gaps_and_trends_make_their_call_by_the_one_rule(held, trained, p_holm):
    """GainGap and Compare's GapTrend share one `call` (stats.Tested); held-out and trend rows adjust its p only."""
    gap = gain_gap(held[:2], held[2:], trained[:2], trained[2:])
    assert gap.call is significance_call(gap.diff, gap.lo, gap.hi, gap.p)
    assert HeldOut("fix", gap, p_holm).call is significance_call(gap.diff, gap.lo, gap.hi,
                                                                 gap.p if p_holm is None else p_holm)  # fmt: skip
    twin = GapTrend(None, None, gap.diff, gap.lo, gap.hi, gap.p)
    assert twin.call is gap.call
    slope = Trend(gap.diff or 0.0, gap.lo or 0.0, gap.hi or 0.0, 0.01, gap.p or 1.0, 0.0, 3, 100)
    expected = significance_call(slope.slope, slope.lo, slope.hi, slope.p if p_holm is None else p_holm)
    assert RunTrend("fix", slope, p_holm).call is expected
    assert RunTrend("fix", None, p_holm).call is Call.UNTESTED
