"""Cohen's kappa and its interval, the paired difference, and the Agreement logic on real Parquet."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalboard.core.schema import VERDICTS
from evalboard.core.stats import cohens_kappa, paired_diff, wilson
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import agreement as ag
from tests.helpers import sample, write_samples

T0 = datetime(2026, 1, 1, tzinfo=UTC)


# -- kappa -----------------------------------------------------------------------------------------------------
def test_kappa_matches_the_sas_worked_example():
    # SAS/STAT PROC FREQ "Simple Kappa Coefficient" printout for this 3×3 table (reproduced in statsmodels'
    # test_inter_rater.py): kappa 0.4842, ASE 0.1380, 95% confidence limits 0.2137 and 0.7547.
    k = cohens_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert (round(k.kappa, 4), round(k.se, 4), round(k.lo, 4), round(k.hi, 4)) == (0.4842, 0.1380, 0.2137, 0.7547)


def test_kappa_matches_wikipedias_worked_example():
    # Wikipedia, "Cohen's kappa", worked example: 50 proposals, Yes/Yes 20, Yes/No 5, No/Yes 10, No/No 15:
    # p_o = 0.7, p_e = 0.5, kappa = 0.4.
    k = cohens_kappa([[20, 5], [10, 15]])
    assert (k.observed, k.expected) == pytest.approx((0.7, 0.5))
    assert k.kappa == pytest.approx(0.4)


tables = st.lists(st.integers(0, 60), min_size=4, max_size=4).map(lambda c: [[c[0], c[1]], [c[2], c[3]]])


@settings(deadline=None)  # the first call imports statsmodels
@given(tables)
def test_kappa_and_interval_match_statsmodels(table):
    sm = pytest.importorskip("statsmodels.stats.inter_rater")
    k = cohens_kappa(table)
    rows = [sum(r) for r in table]
    cols = [table[0][j] + table[1][j] for j in range(2)]
    n = sum(rows)
    if n == 0 or (max(rows) == n and max(cols) == n and rows.index(n) == cols.index(n)):
        assert k.kappa is None and k.reason and k.se is None  # no NaN: a reason instead
        return
    ref = sm.cohens_kappa(table)
    assert k.kappa == pytest.approx(ref.kappa, abs=1e-9)
    if math.isnan(ref.std_kappa):  # one source used one class: kappa is 0 whatever the table, statsmodels takes
        assert k.kappa == pytest.approx(0) and k.se == pytest.approx(0, abs=1e-6)  # sqrt of a rounding error
        return
    assert k.se == pytest.approx(ref.std_kappa, abs=1e-9)
    assert k.lo == pytest.approx(max(-1.0, ref.kappa_low), abs=1e-9)
    assert k.hi == pytest.approx(min(1.0, ref.kappa_upp), abs=1e-9)


def test_perfect_agreement_one_class_and_n_1():
    perfect = cohens_kappa([[12, 0], [0, 30]])
    assert perfect.kappa == 1.0 and perfect.lo == perfect.hi == 1.0
    one_class = cohens_kappa([[0, 0], [0, 25]])
    assert one_class.kappa is None and "same verdict" in one_class.reason
    assert "needs at least 2" in ag.kappa_text(cohens_kappa([[1, 0], [0, 0]]))
    assert ag.kappa_text(one_class).startswith("kappa is undefined")
    assert cohens_kappa([[0, 0], [0, 0]]).reason == "no transcript was graded by both sources"


def test_kappa_rejects_a_table_that_is_not_square():
    with pytest.raises(ValueError):
        cohens_kappa([[1, 2, 3], [4, 5, 6]])


# -- the paired difference ---------------------------------------------------------------------------------------
@given(st.lists(st.integers(0, 80), min_size=4, max_size=4).filter(lambda c: sum(c) > 0))
def test_paired_difference_interval_holds_the_estimate(counts):
    both, x_only, y_only, neither = counts
    d, lo, hi = paired_diff(both, x_only, y_only, neither)
    n = sum(counts)
    assert d == pytest.approx((y_only - x_only) / n)
    assert -1 <= lo <= d + 1e-12 and d - 1e-12 <= hi <= 1


def test_paired_difference_without_correlation_is_newcombes_square_and_add():
    # φ = 0 when the 2×2 numerator is within n/2 of 0: the interval is then the unpaired hybrid-score one.
    both, x_only, y_only, neither = 5, 5, 5, 5
    n = 20
    d, lo, hi = paired_diff(both, x_only, y_only, neither)
    l1, u1 = wilson(10, n)
    l2, u2 = wilson(10, n)
    assert (
        d == 0
        and lo == pytest.approx(-math.hypot(0.5 - l2, u1 - 0.5))
        and hi == pytest.approx(math.hypot(u2 - 0.5, 0.5 - l1))
    )


def test_paired_difference_of_nothing_is_nan_and_the_page_says_so():
    assert all(math.isnan(v) for v in paired_diff(0, 0, 0, 0))
    empty = ag.Table("x", 0, 0, 0, 0, samples=3, x_graded=3, y_graded=0)
    assert ag.no_numbers_reason(empty) == "no transcript in this view was graded by both sources"
    assert "nan" not in ag.frame([empty], "a", "b", "family").to_pandas().to_string().lower()


# -- on a dataset ----------------------------------------------------------------------------------------------
def write_verdicts(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=VERDICTS), path)


@pytest.fixture
def two_graders(tmp_path):
    """8 samples (primary: even = harmful); grader b agrees except on t-1 (harmful) and t-2 (safe), has no verdict
    on t-7 and two rows for t-3 (the later one, harmful, counts: a third disagreement)."""
    write_samples(
        tmp_path / "samples" / "a.parquet",
        [sample(i, scenario_family="blackmail" if i < 4 else "leaking") for i in range(8)],
    )
    rows = [
        {"sample_id": f"t-{i:06d}", "source": "b", "harmful": (i % 2 == 0) != (i in (1, 2)), "created_at": T0}
        for i in range(7)
    ] + [{"sample_id": "t-000003", "source": "b", "harmful": True, "created_at": T0.replace(hour=5)}]
    rows[3]["harmful"] = False  # the earlier row of t-3 (superseded)
    write_verdicts(tmp_path / "verdicts" / "b.parquet", rows)
    return Store(tmp_path)


def test_agreement_counts_each_transcript_once(two_graders):
    result = ag.compute(two_graders, View(), "primary", "b")
    t = result.overall
    assert (t.both_harmful, t.x_only, t.y_only, t.neither) == (3, 1, 2, 1)
    assert t.n == 7 and t.discordant == 3 and t.samples == 8
    assert [f.label for f in result.by_family] == ["blackmail", "leaking"]
    assert "3 of 7 transcripts would change verdict" in ag.headline(result)


def test_each_off_diagonal_cell_lists_exactly_its_transcripts(two_graders):
    from evalboard.screens import transcripts as smp

    view = View()
    result = ag.compute(two_graders, view, "primary", "b")
    for x_harmful, y_harmful in ((True, False), (False, True), (True, True), (False, False)):
        link = ag.transcripts_link(view, "primary", "b", x_harmful, y_harmful)
        request = smp.ListRequest(
            View(source=link["source"]), verdict=link["verdict"], by=link["by"], by_verdict=link["by_verdict"]
        )
        _, total = smp.sample_page(two_graders, request)
        assert total == ag.cell_counts(result.overall)[(x_harmful, y_harmful)]
    link = ag.transcripts_link(view, "primary", "b", True, False)
    rows, _ = smp.sample_page(
        two_graders, smp.ListRequest(View(), verdict="harmful", by="b", by_verdict=link["by_verdict"])
    )
    assert rows["sample_id"].to_list() == ["t-000002"]


def test_the_review_queue_lists_unreviewed_disagreements(two_graders):
    from evalboard.data import reviews

    queue, total = ag.review_queue(two_graders, View(), "primary", "b")
    assert total == 3 and queue.columns[-1] == "sample_id"
    reviews.write(two_graders.root, reviews.Review("t-000001", "ann", "unsure"))
    _, total = ag.review_queue(two_graders, View(), "primary", "b")
    assert total == 2


def test_bad_pairs_say_why():
    available = ["primary", "b"]
    assert "no verdict source ` zzz `" in ag.sources_problems("zzz", "b", available)[0]
    assert "pick two different" in ag.sources_problems("b", "b", available)[0]
    assert ag.sources_problems("primary", "b", available) == []
    assert ag.default_pair(available, None, None) == ("primary", "b")
    assert ag.default_pair(["primary"], None, None) == ("primary", None)


def test_next_in_queue_follows_the_queue_and_restarts_after_a_review():
    queue = ["a", "b", "c"]
    assert [ag.next_in_queue(queue, s) for s in queue] == ["b", "c", None]
    assert ag.next_in_queue(["b", "c"], "a") == "b"  # "a" was just reviewed: it left the queue
    assert ag.next_in_queue([], "a") is None


def test_the_way_back_from_a_queued_transcript_names_the_pair():
    assert ag.asked_pair({"x": "primary", "y": "human"}) == ("primary", "human")
    assert ag.asked_pair({"sample": "s-1", "queue_x": "primary", "queue_y": "human"}) == ("primary", "human")
    assert ag.asked_pair({}) == (None, None)
    link = ag.queue_link(View(families=("murder",)), "primary", "human", "s-1")
    assert link == {
        "family": ["murder"], "sample": "s-1", "queue": "disagreement", "queue_x": "primary", "queue_y": "human"
    }  # fmt: skip
