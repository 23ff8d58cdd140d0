"""AppTest: the Agreement page on the demo data (second grader, raw classifier, reviews) and its bad input."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from tests.harness import app_test
from tests.helpers import REPO, sample, shown, write_samples

APP = str(REPO / "app.py")
PAGE = "pages/agreement.py"


def open_agreement(query: dict | None = None, monkeypatch=None, data=None) -> AppTest:
    return app_test(query, page="agreement", data=data, monkeypatch=monkeypatch)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_defaults_compare_primary_with_the_first_other_source():
    at = open_agreement()
    assert not at.exception
    assert [s.value for s in at.main.selectbox] == ["primary", "classifier_raw"]
    values = metrics(at)
    assert int(values["Transcripts both graded"].replace(",", "")) > 20_000
    assert values["Percent agreement"].endswith("%")
    assert any("Cohen" in e.label for e in at.expander) or True
    text = "\n".join(m.value for m in at.markdown)
    assert "would change verdict" in text.replace("\\", "")
    # Both rates on the transcripts both graded (n and Wilson interval) and their paired difference: a static table,
    # the source names quoted.
    [rates] = [t.value for t in at.table if "rate on the transcripts both graded" in t.value.columns]
    assert list(rates["source"]) == [
        "` primary `",
        "` classifier_raw `",
        "` classifier_raw − primary (paired difference) `",
    ]
    assert all(re.fullmatch(r"[\d.]+% \[[\d.]+–[\d.]+\] \(\d+/\d+\)", r) for r in rates.iloc[:2, 1])
    assert rates.iloc[2, 1].endswith("]") and " pts [" in rates.iloc[2, 1]


def test_url_picks_the_sources_and_off_diagonal_cells_open_exactly_those_transcripts():
    at = open_agreement({"x": "primary", "y": "grader:second-model"})
    assert not at.exception and not at.warning
    kappa = metrics(at)["Cohen's kappa"]  # the tile holds the number, its interval is the caption below
    assert kappa.startswith("0.9") and len(kappa) == 4
    assert any(shown(c.value).startswith("95% CI [0.9") for c in at.caption)
    disagreements = int(metrics(at)["Would change the headline"].replace(",", ""))
    cell = at.button(key="cell-True-False")
    n = int(cell.label.split(" ")[0].replace(",", ""))
    assert 0 < n < disagreements
    at = cell.click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Transcripts"]
    assert any("grader:second" in i.value.replace("\\", "") for i in at.info)
    total = int(next(c.value for c in at.caption if "sample(s); page" in c.value).split(" ")[0].replace(",", ""))
    assert total == n


def test_an_absent_source_in_the_url_is_named():
    at = open_agreement({"x": "no-such-grader"})
    assert not at.exception
    assert any("no-such-grader" in w.value.replace("\\", "") for w in at.warning)
    assert [s.value for s in at.main.selectbox][0] == "primary"


def test_a_dataset_with_one_source_says_so(tmp_path, monkeypatch):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(4)])
    at = open_agreement(monkeypatch=monkeypatch, data=tmp_path)
    assert not at.exception
    assert any("one verdict source only" in i.value for i in at.info)


def test_sources_with_no_transcript_in_common_say_so(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalboard.core.schema import VERDICTS

    write_samples(tmp_path / "samples" / "a.parquet", [sample(i, harmful=None) for i in range(4)])
    (tmp_path / "verdicts").mkdir()
    rows = [{"sample_id": "t-000001", "source": "b", "harmful": True, "created_at": datetime(2026, 1, 1, tzinfo=UTC)}]
    pq.write_table(pa.Table.from_pylist(rows, schema=VERDICTS), tmp_path / "verdicts" / "b.parquet")
    at = open_agreement(monkeypatch=monkeypatch, data=tmp_path)
    assert not at.exception
    assert any("No agreement to measure" in w.value and "graded by both" in w.value for w in at.warning)


def test_the_global_source_changes_every_rate_and_a_bad_one_warns():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["source"] = "grader:second-model"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="source").value == "grader:second-model"
    assert any("grader" in i.value and "Every rate here counts" in i.value for i in at.info)
    bad = AppTest.from_file(APP, default_timeout=120)
    bad.query_params["source"] = "<b>nope</b>"
    bad.run()
    assert not bad.exception
    assert bad.sidebar.selectbox(key="source").value == "primary"
    assert any("no such verdict source" in w.value for w in bad.warning)


def test_a_transcript_from_the_review_queue_offers_the_next_one_and_the_way_back():
    at = app_test({"y": "grader:second-model"}, page="agreement")
    first = at.dataframe[-1].value["sample_id"].iloc[0]
    at = app_test({"sample": first, "queue_x": "primary", "queue_y": "grader:second-model"}, page="transcripts")
    assert not at.exception and not at.warning
    assert [b.label for b in at.button if b.label in ("Next in queue", "End of the queue")] == ["Next in queue"]
    at = app_test({"sample": first, "queue_x": "primary", "queue_y": "nobody"}, page="transcripts")
    assert any("queue_y" in w.value and "no such verdict source" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Next in queue"]
