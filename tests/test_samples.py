"""The samples behind a cell, search and single transcripts, on real Parquet."""

import shutil

import pytest

from evalboard.core.view import View
from evalboard.data import search
from evalboard.data.store import Store
from evalboard.present import drilldown
from evalboard.screens import transcripts as samples
from tests.fixtures.hostile import write_hostile_dataset
from tests.helpers import REPO, sample, write_samples, write_transcripts


def conversation(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text, "tool_calls": None, "tool_call_id": None, "name": None}]


@pytest.fixture
def dataset(tmp_path):
    rows = [sample(i, stage_step=100 * (i % 3), explanation=f"reason {i}\nmore") for i in range(120)]
    rows.append(sample(500, harmful=None, error="timeout"))
    write_samples(tmp_path / "samples" / "a.parquet", rows)
    write_transcripts(
        tmp_path / "transcripts" / "a.parquet",
        sorted(({"sample_id": r["sample_id"], "messages": conversation(f"msg {r['sample_id']} Kyle")} for r in rows),
               key=lambda r: r["sample_id"]),
    )  # fmt: skip
    return tmp_path


def test_counts_pages_and_verdict_filter(dataset):
    store = Store(dataset)
    request = samples.ListRequest(View())
    assert samples.cell_counts(store, request) == {"n": 120, "k": 60, "ungraded": 1}
    rows, total = samples.sample_page(store, request)
    assert total == 121 and rows.height == samples.PAGE_SIZE
    last, _ = samples.sample_page(store, samples.ListRequest(View(), page=3))
    assert last.height == 21
    harmful, total = samples.sample_page(store, samples.ListRequest(View(), verdict="harmful"))
    assert total == 60 and harmful.get_column("harmful").all()
    ungraded, total = samples.sample_page(store, samples.ListRequest(View(), verdict="ungraded"))
    assert total == 1 and ungraded.get_column("sample_id").to_list() == ["t-000500"]
    assert rows.get_column("explanation")[0] == "reason 0"  # first line only


def test_step_narrows_to_one_checkpoint(dataset):
    store = Store(dataset)
    request = samples.ListRequest(View(), step=200)
    assert samples.cell_counts(store, request)["n"] == 40


def test_sort_by_score(dataset):
    store = Store(dataset)
    rows, _ = samples.sample_page(store, samples.ListRequest(View(), sort="score_desc"))
    scores = [s for s in rows.get_column("score").to_list() if s is not None]
    assert scores == sorted(scores, reverse=True)


def test_search_is_case_insensitive_literal_and_shows_the_passage(dataset):
    store = Store(dataset)
    rows, total = samples.sample_page(store, samples.ListRequest(View(), query="MSG T-000007 kyle"))
    assert total == 1 and "msg t-000007 Kyle" in rows.get_column("passage")[0]
    _, total = samples.sample_page(store, samples.ListRequest(View(), query="%"))  # not a LIKE pattern
    assert total == 0
    _, total = samples.sample_page(store, samples.ListRequest(View(), query="reason 11"))  # grader explanation
    assert total == 11  # reason 11 and reason 110 … 119


def test_the_listed_passage_shows_the_hit_and_marks_each_cut_exactly(tmp_path):
    # A long transcript, hit in its middle: the list shows words around the hit, "…" on both sides (text cut away);
    # a hit at the start of a short text: nothing cut, no mark. The passage as the index finds it (the list) and as
    # the scan finds it (samples_matching.sql) are cut alike.
    before, after = " ".join(f"w{i:03d}" for i in range(60)), " ".join(f"z{i:03d}" for i in range(60))
    write_samples(tmp_path / "samples" / "a.parquet", [sample(0), sample(1)])
    texts = {"t-000000": f"{before}\n\n   the   OVERRIDE code {after}", "t-000001": "override at the start, the end."}
    write_transcripts(
        tmp_path / "transcripts" / "a.parquet",
        [{"sample_id": sid, "messages": conversation(text)} for sid, text in sorted(texts.items())],
    )
    store = Store(tmp_path)
    for query, whole in (("override code", False), ("override at", True)):
        request = samples.ListRequest(View(), query=query)
        [listed] = samples.sample_page(store, request)[0].get_column("passage").to_list()
        params = request.params() | {"limit": 10, "offset": 0, "q": query}
        [raw] = store.run("samples_matching", params).get_column("passage").to_list()
        scanned = samples.hit_excerpt(raw, query)  # the scan's text starts with the grader's explanation
        if whole:
            assert listed == texts["t-000001"] and scanned.endswith(listed)  # the text's end: no mark
            assert "…" not in scanned and scanned.startswith(raw.split()[0])  # the explanation's start: no mark
            continue
        assert listed == scanned
        assert listed.startswith("…w") and listed.endswith("…") and "w059 the OVERRIDE code z000" in listed
        assert all(w in texts["t-000000"].split() for w in listed.strip("…").split())  # cut between words only
        assert len(listed) <= samples.HIT_BEFORE + len(query) + samples.HIT_AFTER + 2
    assert search.index_for(store).problem is None  # the list's passage came from the index


def test_list_reads_no_transcripts(dataset):
    """Without a search the list never touches transcripts: it works with them gone."""
    shutil.rmtree(dataset / "transcripts")
    store = Store(dataset)
    rows, total = samples.sample_page(store, samples.ListRequest(View()))
    assert total == 121
    sql = (REPO / "queries" / "samples_in_cell.sql").read_text()
    assert "transcripts" not in sql.lower().replace("no transcript", "")


def test_transcript_by_id(dataset):
    store = Store(dataset)
    assert samples.transcript(store, "t-000003")[0]["content"] == "msg t-000003 Kyle"
    assert samples.transcript(store, "nope") is None
    assert samples.sample_detail(store, "' OR 1=1 --") is None
    detail = samples.sample_detail(store, "t-000003")
    assert detail["conditions"] == {"goal_type": "explicit"}


def test_hostile_transcripts_are_returned_intact(tmp_path):
    store = Store(write_hostile_dataset(tmp_path))
    assert samples.transcript(store, "h-empty") == []
    assert samples.transcript(store, "h-missing") is None
    assert len(samples.transcript(store, "h-megabyte")[1]["content"]) > 1_000_000
    bad = samples.transcript(store, "h-utf8")[0]["content"]
    assert bad.startswith("broken ") and "\ufffd" in bad  # decoded leniently, not lost


def test_counterparts_share_scenario_epoch_and_checkpoint(tmp_path):
    rows = [sample(1, intervention="baseline"), sample(2, intervention="safe_demos"),
            sample(3, intervention="safe_demos", epoch=2), sample(4, snapshot="snap-b", stage_step=999)]  # fmt: skip
    write_samples(tmp_path / "samples" / "a.parquet", rows)
    others = samples.counterparts(Store(tmp_path), "t-000001")
    assert others.get_column("sample_id").to_list() == ["t-000002"]


def test_provenance_cell_link_and_other_interventions():
    import polars as pl

    detail = {
        "sample_id": "x", "snapshot": "s1", "intervention": "baseline", "training_stage": "rl", "stage_step": 500,
        "scenario_family": "blackmail", "scenario": "bm_1", "epoch": 3, "grader": None,
    }  # fmt: skip
    assert samples.provenance(detail) == [
        ("snapshot", "s1"), ("intervention", "baseline"), ("checkpoint", "RL step 500"), ("family", "blackmail"),
        ("scenario", "bm_1"), ("epoch", "3"),
    ]  # fmt: skip
    assert drilldown.cell_of(detail) == {"snapshot": "s1", "intervention": "baseline", "stage": "rl", "step": "500",
                                         "family": "blackmail", "verdict": "all"}  # fmt: skip
    others = pl.DataFrame(
        {"sample_id": ["a", "b", "c", "d"], "snapshot": ["s0", "s1", "s1", "s1"],
         "intervention": ["baseline", "safe", "safe", "baseline"], "harmful": [True, False, True, None]}
    )  # fmt: skip
    assert [o["sample_id"] for o in samples.other_interventions(others, detail)] == ["b"]
