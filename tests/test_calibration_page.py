"""AppTest: the Agreement page's calibration section — draw a sample, review from its queue, read each grader's
error, alpha and the contested transcripts; and a review opened from a queue records it."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from evalboard.data import reviews
from evalboard.data.store import Store
from evalboard.screens import calibration as cal
from tests.harness import app_test, opened
from tests.helpers import DEMO, shown


@pytest.fixture
def demo_copy(tmp_path):
    data = tmp_path / "demo"
    shutil.copytree(DEMO, data)
    shutil.rmtree(data / "calibration", ignore_errors=True)  # start without a sample in force or its reviews
    (data / "reviews" / "demo-calibration.parquet").unlink()
    return data


def test_draw_review_and_read_the_graders_error(demo_copy, monkeypatch):
    at = app_test({"y": "grader:second-model"}, page="agreement", data=demo_copy, monkeypatch=monkeypatch)
    assert not at.exception
    assert at.button(key="calibration_draw").label == "Draw a calibration sample"
    at.number_input(key="calibration_per_stratum").set_value(12)
    at.button(key="calibration_draw").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Drew a calibration sample") for s in at.success)
    assert at.button(key="calibration_draw").label == "Draw a new calibration sample"
    strata = next(t.value for t in at.table if "sampling probability" in t.value.columns)
    assert len(strata) >= 4 and (strata["drawn"] <= 12).all()
    assert any("No transcript of the calibration sample has a human verdict" in i.value for i in at.info)
    # People review every drawn transcript from the calibration queue (two of them disagree on a few).
    items = cal.load(Store(demo_copy)).items
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    for j, row in enumerate(items.iter_rows(named=True)):
        verdict = "harmful" if row["primary_harmful"] else "not_harmful"
        for who in ("ann", "bob") if j % 10 else ("ann", "bob", "cy"):
            other = "not_harmful" if verdict == "harmful" else "harmful"
            said = other if who == "cy" or (who == "bob" and j % 10 == 0) else verdict
            reviews.write(demo_copy, reviews.Review(row["sample_id"], who, said, queue="calibration",
                                                    created_at=t0 + timedelta(minutes=j)))  # fmt: skip
    at.run()
    assert not at.exception
    errors = next(t.value for t in at.table if "sensitivity [95% CI]" in t.value.columns and "reviewed" in t.value)
    assert [shown(s) for s in errors["source"]][:2] == ["primary", "classifier_raw"]
    assert all("%" in v and "[" in v for v in errors["sensitivity [95% CI]"])
    metrics = {m.label: m.value for m in at.metric}
    alpha = next(v for k, v in metrics.items() if k.startswith("Krippendorff's alpha"))
    assert alpha != "—" and "[" in alpha
    kappas = next(d.value for d in at.dataframe if "human" in d.value.columns)
    assert len(kappas) >= 3
    assert any("Contested transcripts" in m.value for m in at.markdown)


def test_a_review_opened_from_the_calibration_queue_records_it(demo_copy, monkeypatch):
    store = Store(demo_copy)
    cal.draw(store, cal.View(), per_stratum=2, seed=3)
    sample_id = cal.load(store).items["sample_id"][0]
    at = app_test({"sample": sample_id, "queue": "calibration"}, page="transcripts", data=demo_copy,
                  monkeypatch=monkeypatch)  # fmt: skip
    assert not at.exception
    # Blind: no grader's verdict banner and no verdict history while reviewing from the calibration queue.
    assert any(i.value.startswith("Calibration review: the graders' verdicts are hidden") for i in at.info)
    assert not [e for e in at.expander if e.label.startswith("Verdict history")]
    banners = [
        e.value for e in [*at.error, *at.success, *at.warning] if re.match(r"\*\*(HARMFUL|SAFE|UNGRADED)\*\*", e.value)
    ]
    assert banners == []
    at.text_input(key="reviewer_name").input("Ann").run()
    at.radio(key=f"review_verdict_{sample_id}").set_value("harmful").run()
    next(b for b in at.button if b.label == "Submit review").click().run()
    assert not at.exception
    stored = reviews.all_reviews(Store(demo_copy)).filter(reviews.pl.col("reviewer") == "Ann")
    assert stored["queue"].to_list() == ["calibration"]
    seen = app_test({"sample": sample_id}, page="transcripts", data=demo_copy, monkeypatch=monkeypatch)
    assert [e for e in seen.expander if e.label.startswith("Verdict history")]  # outside the queue: shown
    assert [e for e in [*seen.error, *seen.success] if re.match(r"\*\*(HARMFUL|SAFE)\*\*", e.value)]


CORRECTED = "corrected for grader error [95% CI]"


def _table_with(at, column: str):
    return next(t.value for t in at.table if column in t.value.columns)


def test_overview_shows_corrected_rates_beside_raw_ones_on_the_demo():
    at = app_test({"corrected": "true"})
    assert not at.exception
    assert at.toggle(key="corrected").value is True
    table = _table_with(at, CORRECTED)
    assert len(table) >= 2  # the newest snapshot's interventions (the fresh-visit default)
    assert all(v.endswith("]") and "%" in v for v in table[CORRECTED]), list(table[CORRECTED])
    assert all("/" in v for v in table["raw rate [95% CI] (k/n)"])
    assert any("Corrected for" in c.value and "sensitivity" in c.value for c in at.caption)
    assert "corrected=true" in opened(at, "share_view").sidebar.code[0].value  # the share link keeps the toggle
    plain = app_test()
    assert not plain.exception and not [t for t in plain.table if CORRECTED in t.value.columns]
    assert "corrected" not in opened(plain, "share_view").sidebar.code[0].value


def test_compare_and_readiness_show_corrected_rates_and_human_rates_are_not_corrected():
    compare = app_test({"corrected": "true"}, page="compare")
    assert not compare.exception
    sides = _table_with(compare, "A corrected")
    assert all("%" in v and "[" in v for v in sides["B corrected"])
    readiness = app_test({"corrected": "true"}, page="readiness")
    assert not readiness.exception
    assert all("%" in v for v in _table_with(readiness, CORRECTED)[CORRECTED])
    human = app_test({"corrected": "true", "source": "human"})
    assert not human.exception
    assert all("people's own verdicts" in v for v in _table_with(human, CORRECTED)[CORRECTED])
    assert any("human judged" in shown(c.value) and "cover less than the view" in c.value for c in human.caption)


def test_a_dataset_with_one_source_can_still_draw_a_calibration_sample(tmp_path, monkeypatch):
    from tests.helpers import sample, write_samples

    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(40)])
    at = app_test(page="agreement", data=tmp_path, monkeypatch=monkeypatch)
    assert not at.exception and any("one verdict source only" in i.value for i in at.info)
    at.button(key="calibration_draw").click().run()
    assert not at.exception
    strata = next(t.value for t in at.table if "sampling probability" in t.value.columns)
    assert list(strata["in view"]) == [20, 20] and list(strata["drawn"]) == [20, 20]
