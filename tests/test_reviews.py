"""Human reviews: append-only files, bad input, the 'human' source, exports, two writers at once, and the form."""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from evalboard.core.view import View
from evalboard.data import reviews
from evalboard.data.store import Store
from tests.helpers import REPO, sample, shown, write_samples, write_transcripts

APP = str(REPO / "app.py")


@pytest.fixture
def dataset(tmp_path):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(4)])
    write_transcripts(
        tmp_path / "transcripts" / "a.parquet",
        [{"sample_id": f"t-{i:06d}", "messages": [{"role": "user", "content": "hi"}]} for i in range(4)],
    )
    return tmp_path


def test_a_review_is_its_own_file_and_becomes_the_human_verdict(dataset):
    store = Store(dataset)
    first = reviews.write(
        dataset, reviews.Review("t-000001", "ann", "harmful", "threatens", primary_verdict="not_harmful")
    )
    assert first.parent.name == "reviews" and first.suffix == ".parquet"
    assert not [p for p in first.parent.iterdir() if p.name.endswith(".tmp")]
    frame = store.run("rate_by_intervention", View(source="human").params())
    assert frame.select("n", "k").row(0) == (1, 1)
    # Someone else calls it unsure: one vote each, a tie for the most votes, so no human verdict (majority rule);
    # both stay in the history and the export.
    later = datetime(2099, 1, 1, tzinfo=UTC)
    reviews.write(dataset, reviews.Review("t-000001", "bob", "unsure", created_at=later))
    assert store.run("rate_by_intervention", View(source="human").params()).select("n", "k").row(0) == (0, 0)
    trail = reviews.history(store, "t-000001")
    assert trail["source"].to_list() == ["primary", "human", "human"]
    assert trail["counted"].to_list() == [True, True, True]  # each reviewer's vote counts (a tie: unsure)
    shown = reviews.history_table(trail)
    assert shown["verdict"].to_list() == ["not harmful", "harmful", "unsure"]
    everything = reviews.all_reviews(store)
    assert everything["reviewer"].to_list() == ["ann", "bob"]
    lines = [json.loads(line) for line in reviews.to_jsonl(everything).splitlines()]
    assert [r["verdict"] for r in lines] == ["harmful", "unsure"] and lines[0]["primary_verdict"] == "not_harmful"
    csv_text = reviews.to_csv(everything)
    assert csv_text.splitlines()[0].startswith("review_id,sample_id,reviewer,created_at,verdict,note")
    assert "threatens" in csv_text and csv_text.count("\n") == 3


@pytest.mark.parametrize(
    ("review", "known", "message"),
    [
        (reviews.Review("t-000001", "  ", "harmful"), True, "Enter your name"),
        (reviews.Review("nope", "ann", "harmful"), False, "There is no sample 'nope'"),
        (reviews.Review("t-000001", "ann", "maybe"), True, "The verdict must be one of"),
        (reviews.Review("t-000001", "x" * 500, "harmful"), True, "longer than"),
    ],
    ids=["empty-name", "unknown-sample", "bad-verdict", "long-name"],
)
def test_bad_reviews_are_refused_with_a_reason(dataset, review, known, message):
    with pytest.raises(reviews.ReviewError, match=message):
        reviews.write(dataset, review, known_sample=known)
    assert not (dataset / "reviews").exists() or not list((dataset / "reviews").iterdir())


def _write_many(root: str, reviewer: str, count: int) -> None:
    for i in range(count):
        reviews.write(root, reviews.Review(f"t-{i % 4:06d}", reviewer, "harmful", f"note {i}"))


def test_two_writers_at_once_lose_nothing(dataset):
    threads = [threading.Thread(target=_write_many, args=(str(dataset), name, 25)) for name in ("ann", "bob")]
    processes = [
        multiprocessing.get_context("spawn").Process(target=_write_many, args=(str(dataset), name, 25))
        for name in ("cat", "dan")
    ]
    for worker in (*threads, *processes):
        worker.start()
    for worker in (*threads, *processes):
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)
    everything = reviews.all_reviews(Store(dataset))
    assert everything.height == 100
    assert everything.group_by("reviewer").len().sort("reviewer")["len"].to_list() == [25, 25, 25, 25]
    assert everything["review_id"].n_unique() == 100


def submit(at: AppTest):
    (button,) = [b for b in at.button if b.label == "Submit review"]
    return button


def test_a_review_with_an_idempotency_key_is_written_once(dataset):
    """A double click sends the form's key twice: the second write stores nothing and names the first file."""
    review = reviews.Review("t-000001", "ann", "harmful", note="threat", review_id="f00d" * 8)
    first = reviews.write(dataset, review, once=True)
    again = reviews.write(dataset, reviews.Review("t-000001", "ann", "harmful", review_id="f00d" * 8), once=True)
    assert again == first and first.is_file()
    assert sorted(p.name for p in (dataset / "reviews").iterdir()) == [".ids", first.name]
    assert reviews.all_reviews(Store(dataset)).height == 1
    other = reviews.write(dataset, reviews.Review("t-000001", "ann", "unsure", review_id="beef" * 8), once=True)
    assert other != first and reviews.all_reviews(Store(dataset)).height == 2
    with pytest.raises(reviews.ReviewError, match="letters and digits"):
        reviews.write(dataset, reviews.Review("t-000001", "ann", "unsure", review_id="../x"), once=True)


def test_the_form_stores_a_review_and_the_history_shows_it(dataset, monkeypatch):
    monkeypatch.setenv("EVALBOARD_DATA", str(dataset))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/transcripts.py")
    at.query_params["sample"] = "t-000002"
    at.run()
    assert not at.exception
    assert any("not authentication" in c.value for c in at.caption)
    submit(at).click().run()  # no name, no verdict yet
    assert any("Enter your name" in e.value for e in at.error)
    at.text_input(key="reviewer_name").input("Ann Reviewer").run()
    at.radio(key="review_verdict_t-000002").set_value("not_harmful").run()
    at.text_area(key="review_note_t-000002").input("asks politely, no threat").run()
    submit(at).click().run()
    assert not at.exception
    assert any("Saved your review" in s.value for s in at.success)
    stored = reviews.all_reviews(Store(dataset)).row(0, named=True)
    assert (stored["reviewer"], stored["verdict"], stored["note"], stored["primary_verdict"]) == (
        "Ann Reviewer",
        "not_harmful",
        "asks politely, no threat",
        "harmful",
    )
    # The form is cleared, and it is a new form: submitting it again as it is stores nothing more.
    assert at.radio(key="review_verdict_t-000002").value is None
    assert at.text_area(key="review_note_t-000002").value == ""
    submit(at).click().run()
    assert any("The verdict must be one of" in e.value for e in at.error)
    assert reviews.all_reviews(Store(dataset)).height == 1
    at.run()
    history = next(t.value for t in at.table if "counted" in t.value.columns)
    assert [shown(v) for v in history["source"]] == ["primary", "human"] and shown(
        history["by"].iloc[-1]
    ) == "Ann Reviewer"
