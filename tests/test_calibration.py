"""Calibration samples on real Parquet through the store: a seeded stratified draw that is stored and stable, reviews
recording their queue, the human majority, graders' error against people and the corrected rate."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalboard.core.schema import REVIEWS, VERDICTS
from evalboard.core.view import View
from evalboard.data import reviews
from evalboard.data.store import Store
from evalboard.screens import calibration as cal
from tests.helpers import sample, write_samples

T0 = datetime(2026, 3, 1, tzinfo=UTC)
N = 1200


@pytest.fixture
def dataset(tmp_path):
    """N transcripts, true rate ~10%; the primary grader has sensitivity ~0.8 and specificity ~0.95; a second grader
    ('b') misses more. The truth is returned so tests can review as people would."""
    rng = random.Random(5)
    truth = {f"t-{i:06d}": rng.random() < 0.10 for i in range(N)}
    rows, second = [], []
    for i in range(N):
        sid = f"t-{i:06d}"
        primary = rng.random() < 0.8 if truth[sid] else rng.random() < 0.05
        family = "blackmail" if i % 2 else "leaking"
        rows.append(sample(i, harmful=primary, scenario_family=family))
        said = rng.random() < 0.6 if truth[sid] else rng.random() < 0.02
        second.append({"sample_id": sid, "source": "b", "harmful": said, "created_at": T0})
    write_samples(tmp_path / "samples" / "a.parquet", rows)
    (tmp_path / "verdicts").mkdir()
    pq.write_table(pa.Table.from_pylist(second, schema=VERDICTS), tmp_path / "verdicts" / "b.parquet")
    return tmp_path, truth


def review_all(root, ids, truth, queue, reviewer="ann"):
    for j, sid in enumerate(ids):
        verdict = "harmful" if truth[sid] else "not_harmful"
        reviews.write(root, reviews.Review(sid, reviewer, verdict, queue=queue, created_at=T0 + timedelta(minutes=j)))


def test_a_draw_is_stratified_stored_and_stable(dataset):
    root, _ = dataset
    store = Store(root)
    path = cal.draw(store, View(), per_stratum=30, seed=7, now=T0)
    assert path.parent.name == "calibration" and path.suffix == ".parquet"
    items = cal.load(Store(root)).items
    strata = cal.strata(items)
    assert strata.get_column("stratum").to_list() == [
        "blackmail · harmful", "blackmail · not harmful", "leaking · harmful", "leaking · not harmful"
    ]  # fmt: skip
    frame = pl.read_parquet(root / "samples" / "a.parquet")
    for row in strata.iter_rows(named=True):
        family, verdict = row["stratum"].split(" · ")
        in_stratum = (pl.col("scenario_family") == family) & (pl.col("harmful") == (verdict == "harmful"))
        size = frame.filter(in_stratum).height
        assert row["in view"] == size and row["drawn"] == min(30, size)
        assert row["sampling probability"] == pytest.approx(row["drawn"] / size)
    again = cal.draw(Store(root), View(), per_stratum=30, seed=7, now=T0 + timedelta(days=1))
    assert pl.read_parquet(again)["sample_id"].sort().to_list() == items["sample_id"].sort().to_list()
    other = cal.draw(Store(root), View(), per_stratum=30, seed=8, now=T0 + timedelta(days=2))
    assert set(pl.read_parquet(other)["sample_id"]) != set(items["sample_id"])
    assert cal.load(Store(root)).items["seed"][0] == 8  # the newest draw is in force
    assert cal.draw_settings(cal.load(Store(root))) == (30, 8)  # the page offers its settings to draw again
    with pytest.raises(cal.CalibrationError, match="no graded transcripts"):
        cal.draw(Store(root), View(families=("nope",)))


def test_graders_error_and_the_corrected_rate_from_calibration_reviews(dataset):
    root, truth = dataset
    cal.draw(Store(root), View(), per_stratum=60, seed=1)
    before = cal.load(Store(root))
    assert before.errors == {} and before.drawn
    primary = pl.read_parquet(root / "samples" / "a.parquet")
    k, n = int(primary["harmful"].sum()), primary.height
    assert "no calibration sample has been reviewed" in cal.correct(before, "primary", k, n).reason
    review_all(root, before.items["sample_id"].to_list(), truth, reviews.CALIBRATION_QUEUE)
    after = cal.load(Store(root))
    assert after.reviewed == before.items.height
    e = after.errors["primary"]
    assert e.sensitivity.lo < 0.8 < e.sensitivity.hi and e.specificity.lo < 0.95 < e.specificity.hi
    assert after.errors["b"].sensitivity.estimate < e.sensitivity.estimate
    true_rate = sum(truth.values()) / N
    corrected = cal.correct(after, "primary", k, n)
    assert corrected.reason is None and corrected.lo <= true_rate <= corrected.hi
    assert abs(corrected.estimate - true_rate) < abs(k / n - true_rate)
    assert "no grader" in cal.correct(after, "human", 5, 10).reason
    frame = cal.error_frame(after)
    assert frame["source"].to_list() == ["primary", "b"] and frame["reviewed"][0] == after.reviewed
    assert set(cal.family_error_frame(after)["scenario_family"]) == {"blackmail", "leaking"}


def test_disagreement_queue_reviews_alone_are_refused_for_correction(dataset):
    root, truth = dataset
    cal.draw(Store(root), View(), per_stratum=60, seed=1)
    drawn = cal.load(Store(root)).items["sample_id"].to_list()
    review_all(root, drawn, truth, reviews.DISAGREEMENT_QUEUE)  # the very transcripts drawn, but not from the queue
    loaded = cal.load(Store(root))
    assert loaded.errors == {} and loaded.reviewed == 0 and loaded.disagreement_reviews == len(drawn)
    refused = cal.correct(loaded, "primary", 100, N)
    assert refused.estimate is None and "disagreement queue" in refused.reason


def test_the_human_verdict_is_the_majority_of_each_reviewers_latest_vote(dataset):
    root, _ = dataset
    store = Store(root)

    def vote(sid, who, verdict, minutes=0):
        reviews.write(root, reviews.Review(sid, who, verdict, created_at=T0 + timedelta(minutes=minutes)))

    vote("t-000001", "ann", "harmful")
    vote("t-000001", "bob", "harmful")
    vote("t-000001", "cy", "not_harmful")
    vote("t-000002", "ann", "harmful")
    vote("t-000002", "bob", "not_harmful")
    vote("t-000003", "ann", "not_harmful")
    vote("t-000003", "ann", "harmful", minutes=5)  # ann changed her mind: one vote, the latest
    votes = store.run("human_votes_all")
    majority = dict(votes.select("sample_id", "human").unique().iter_rows())
    assert majority == {"t-000001": True, "t-000002": None, "t-000003": True}
    contested = dict(votes.select("sample_id", "contested").unique().iter_rows())
    assert contested == {"t-000001": True, "t-000002": True, "t-000003": False}
    frame = store.run("rate_by_intervention", View(source="human").params())
    assert frame.select("n", "k").row(0) == (2, 2)  # the tie is no verdict
    r = cal.raters(store, cal.load(store))
    assert r.contested["sample_id"].to_list() == ["t-000001", "t-000002"]
    assert r.pairs_agreeing == (1, 4)


def test_a_review_file_written_before_the_queue_column_still_reads(dataset):
    root, _ = dataset
    old_schema = pa.schema([f for f in REVIEWS if f.name != "queue"])
    (root / "reviews").mkdir()
    row = {"review_id": "r1", "sample_id": "t-000004", "reviewer": "ann", "created_at": T0, "verdict": "harmful"}
    pq.write_table(pa.Table.from_pylist([row], schema=old_schema), root / "reviews" / "old.parquet")
    reviews.write(root, reviews.Review("t-000005", "bob", "harmful", queue="calibration"))
    everything = reviews.all_reviews(Store(root))
    assert everything["queue"].to_list() == [None, "calibration"]
    with pytest.raises(reviews.ReviewError, match="queue"):
        reviews.write(root, reviews.Review("t-000005", "bob", "harmful", queue="vip"))


def test_a_source_covering_less_than_the_view_says_so(dataset):
    root, _ = dataset
    pq.write_table(
        pa.Table.from_pylist(
            [{"sample_id": "t-000000", "source": "c", "harmful": True, "created_at": T0}], schema=VERDICTS
        ),
        root / "verdicts" / "c.parquet",
    )
    store = Store(root)
    coverage = dict(cal.coverage(store, View()).select("source", "judged").iter_rows())
    assert coverage == {"primary": N, "b": N, "c": 1}
    assert cal.coverage_note(store, View(source="b")) is None
    assert cal.coverage_note(store, View(source="c")).startswith(f"c judged 1 of the view's {N:,} transcripts")
