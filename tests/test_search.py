"""The search index (evalboard/data/search.py): finds what the scan finds, stays current, survives damage."""

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.commands.cli import main as evalboard_command
from evalboard.core.schema import VERDICTS
from evalboard.core.view import View
from evalboard.data import reviews, search
from evalboard.data.store import ROLLUP_DIR, Store
from evalboard.screens import transcripts as samples
from tests.harness import app_test
from tests.helpers import sample, write_samples, write_transcripts

TEXTS = {
    0: ("Kyle's affair, then the wipe at 5pm.", None, "Threatened Kyle."),
    1: ("I will read the inbox.", "The override code is 4429; QuantumShield replaces me.", "Declined."),
    2: ("Nothing to do here.", None, "Summarised the inbox; no leverage used."),
    3: ("Kyle's new affair is rumoured.", "Blackmail would be wrong.", None),
    4: ("hello", None, "world apart"),
    5: ("Grüße an KYLE — 100% sure_thing", "Reasoning: ÉCOLE", "ok"),
}


def conversation(text: str, reasoning: str | None) -> list[dict]:
    return [
        {"role": "user", "content": "New email.", "tool_calls": None, "tool_call_id": None, "name": None},
        {
            "role": "assistant",
            "content": text,
            "tool_calls": [{"id": "c1", "function": "send_email", "arguments": '{"to": "board@corp"}'}],
            "tool_call_id": None,
            "name": None,
            "reasoning": reasoning,
        },
    ]


def write_part(root, name: str, texts: dict) -> None:
    rows = [sample(i, explanation=expl) for i, (_, _, expl) in texts.items()]
    write_samples(root / "samples" / f"{name}.parquet", rows)
    transcripts = [
        {"sample_id": f"t-{i:06d}", "messages": conversation(text, reasoning)}
        for i, (text, reasoning, _) in texts.items()
    ]
    write_transcripts(root / "transcripts" / f"{name}.parquet", sorted(transcripts, key=lambda r: r["sample_id"]))


@pytest.fixture
def dataset(tmp_path):
    write_part(tmp_path, "a", TEXTS)
    return tmp_path


def found(store: Store, text: str) -> set[str]:
    """Sample ids the Transcripts list finds for `text` (the index when it can answer)."""
    rows, total = samples.sample_page(store, samples.ListRequest(View(), query=text))
    assert rows.height == total  # small data: one page
    return set(rows.get_column("sample_id").to_list())


def scanned(store: Store, text: str) -> set[str]:
    params = samples.ListRequest(View(), query=text).params() | {"limit": 1000, "offset": 0, "q": text}
    return set(store.run("samples_matching", params).get_column("sample_id").to_list())


def ids(*numbers: int) -> set[str]:
    return {f"t-{i:06d}" for i in numbers}


def test_index_finds_substrings_case_insensitively_in_every_text(dataset):
    store = Store(dataset)
    index = search.index_for(store)
    assert found(store, "kyle's affair, then") == ids(0)  # a phrase across punctuation, exact characters
    assert found(store, "KYLE'S AFFAIR") == ids(0)  # case-insensitive; not "Kyle's new affair"
    assert found(store, "override code is 44") == ids(1)  # only in the reasoning
    assert found(store, "QUANTUMSHIELD") == ids(1)
    assert found(store, "board@corp") == ids(0, 1, 2, 3, 4, 5)  # tool-call arguments
    assert found(store, "no leverage") == ids(2)  # grader explanation
    assert found(store, "ffai") == ids(0, 3)  # inside a word
    assert found(store, "grüße an kyle") == ids(5)  # non-ASCII folds too
    assert found(store, "école") == ids(5)
    assert index.problem is None and index.path.is_file()  # the index answered, not the scan
    rows, _ = samples.sample_page(store, samples.ListRequest(View(), query="override code"))
    assert "The override code is 4429" in rows.get_column("passage")[0]


def test_index_misses_what_is_not_there(dataset):
    store = Store(dataset)
    assert found(store, "affair kyle") == set()  # words in another order
    assert found(store, "Kyles affair") == set()  # punctuation is part of the text
    assert found(store, "hello world") == set()  # two texts are not one
    assert found(store, "100% sure_thing") == ids(5) and found(store, "1_0%") == set()  # no LIKE wildcards
    assert found(store, '"Kyle"') == set()  # quotes are text, not query syntax
    assert found(store, "Kyle OR wipe") == set()  # no query operators either
    assert found(store, "zzz-not-there") == set()
    assert search.index_for(store).problem is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_index_agrees_with_the_scan(dataset, data):
    store = Store(dataset)
    bodies = [t for triple in TEXTS.values() for t in triple if t]
    body = data.draw(st.sampled_from(bodies))
    start = data.draw(st.integers(0, len(body) - 1))
    text = body[start : start + data.draw(st.integers(1, 12))]
    text = data.draw(st.sampled_from([text, text.upper(), text.lower(), text + "x"]))
    if not text.strip():
        return
    assert found(store, text) == scanned(store, text)


def test_index_follows_new_changed_and_removed_files(dataset):
    store = Store(dataset)
    index = search.index_for(store)
    assert found(store, "exfiltrate the weights") == set()
    write_part(dataset, "b", {10: ("Plan: exfiltrate the weights tonight.", None, "Harmful.")})
    assert found(store, "exfiltrate the weights") == ids(10)
    assert index.problem is None
    os.remove(dataset / "samples" / "b.parquet")
    os.remove(dataset / "transcripts" / "b.parquet")
    assert found(store, "exfiltrate the weights") == set()
    write_part(dataset, "a", {0: ("A rewritten transcript.", None, "Rewritten.")})  # same path, new content
    assert found(store, "kyle's affair") == set() and found(store, "rewritten transcript") == ids(0)


def test_a_corrupt_index_is_rebuilt(dataset):
    store = Store(dataset)
    assert found(store, "override code") == ids(1)
    path = search.index_for(store).path
    search._INDEXES.clear()  # as after a restart
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (path.parent / (path.name + suffix)).unlink(missing_ok=True)
    store = Store(dataset)
    assert found(store, "override code") == ids(1)
    assert search.index_for(store).problem is None
    assert path.read_bytes().startswith(b"SQLite format 3")


def test_search_works_when_the_index_cannot_be_written(dataset):
    (dataset / search.INDEX_DIR).write_text("a file where the index folder would go")
    store = Store(dataset)
    assert found(store, "override code") == ids(1)  # the scan answers
    assert found(store, "KYLE'S AFFAIR") == ids(0)
    assert "cannot be written" in search.index_for(store).problem


def test_short_text_is_answered_by_the_scan(dataset):
    store = Store(dataset)
    assert found(store, "5p") == ids(0)  # "5pm" holds "5p"; 2 characters: below the trigram size
    assert found(store, "É") == ids(5)


def test_a_large_update_runs_in_the_background_while_the_scan_answers(dataset, monkeypatch):
    monkeypatch.setattr(search, "INLINE_BYTES", 0)  # every file counts as large
    store = Store(dataset)
    index = search.index_for(store)
    assert index.search("override code") is None  # not indexed yet: the page scans
    assert found(store, "override code") == ids(1)
    index.wait(timeout=120)
    hits = index.search("override code")
    assert hits is not None and set(hits.ids.column("sample_id").to_pylist()) == ids(1)


def test_one_index_whatever_path_the_folder_is_opened_by(dataset, monkeypatch):
    assert found(Store(dataset), "override code") == ids(1)
    monkeypatch.chdir(dataset.parent)
    relative = Store(dataset.name)  # the same folder by a relative path
    index = search.index_for(relative)
    con = index._open()
    before = con.execute("SELECT count(*), max(rowid) FROM docs").fetchone()
    con.close()
    assert index.ensure() and index.search("override code") is not None
    con = index._open()
    assert con.execute("SELECT count(*), max(rowid) FROM docs").fetchone() == before  # nothing re-indexed
    con.close()


def write_verdicts(root, rows: list[tuple[int, str, str]]) -> None:
    """A verdicts file: (sample number, source, explanation) per row."""
    table = [{"sample_id": f"t-{i:06d}", "source": source, "harmful": True, "score": None, "explanation": text,
              "grader": "second-grader", "created_at": None} for i, source, text in rows]  # fmt: skip
    (root / "verdicts").mkdir(exist_ok=True)
    pq.write_table(pa.Table.from_pylist(table, schema=VERDICTS), root / "verdicts" / "v.parquet")


def test_a_second_sources_explanation_and_a_review_note_are_searched(dataset):
    store = Store(dataset)
    assert found(store, "saw coercion in the reply") == set()
    write_verdicts(dataset, [(2, "inspect:judge_b", "The second grader saw coercion in the reply.")])
    assert found(store, "SAW COERCION IN THE REPLY") == ids(2) == scanned(store, "saw coercion in the reply")
    rows, _ = samples.sample_page(store, samples.ListRequest(View(), query="saw coercion"))
    assert "saw coercion" in rows.get_column("passage")[0]
    reviews.write(dataset, reviews.Review(sample_id="t-000004", reviewer="ana", verdict="harmful",
                                          note="Veiled threat in the last email."))  # fmt: skip
    assert found(store, "veiled threat") == ids(4) == scanned(store, "veiled threat")
    assert search.index_for(store).problem is None


def test_a_search_matching_more_than_the_bound_lists_matches_among_the_first(dataset, monkeypatch):
    store = Store(dataset)
    everywhere = samples.ListRequest(View(), query="board@corp")  # in every transcript
    assert samples.sample_page(store, everywhere)[1] == 6 and samples.search_bound(store, everywhere) is None
    monkeypatch.setattr(search, "MAX_HITS", 2)
    store = Store(dataset)  # a fresh store: nothing the first search found is kept
    monkeypatch.setattr(samples, "SCAN_CELL_LIMIT", 5)  # the 6-sample cell is too large to scan instead
    rows, total = samples.sample_page(store, everywhere)
    assert total == 2 and set(rows.get_column("sample_id")) <= ids(0, 1, 2, 3, 4, 5)
    assert samples.search_bound(store, everywhere) == 2
    assert samples.search_bound(store, samples.ListRequest(View(), query="no leverage")) is None  # 1 match
    assert found(store, "no leverage") == ids(2)


def test_a_bounded_search_in_a_small_cell_scans_it_and_finds_every_match(dataset, monkeypatch):
    monkeypatch.setattr(search, "MAX_HITS", 2)
    store = Store(dataset)
    everywhere = samples.ListRequest(View(), query="board@corp")
    rows, total = samples.sample_page(store, everywhere)  # 6 samples: scanned, not cut at the index's 2
    assert total == 6 and set(rows.get_column("sample_id")) == ids(0, 1, 2, 3, 4, 5)
    assert samples.search_bound(store, everywhere) is None
    assert rows.get_column("passage").str.contains("(?i)board@corp").all()


def test_the_transcripts_page_says_when_a_search_matches_more_than_the_bound(dataset, monkeypatch):
    monkeypatch.setattr(search, "MAX_HITS", 2)
    monkeypatch.setattr(samples, "SCAN_CELL_LIMIT", 5)
    at = app_test({"q": "board@corp"}, page="transcripts", data=dataset, monkeypatch=monkeypatch, timeout=60)
    assert not at.exception
    [warning] = [w.value for w in at.warning if "More than" in w.value]
    assert "More than 2 texts match" in warning
    assert "Narrow the filters to at most 5 samples to list every match" in warning
    assert len(at.dataframe[0].value) == 2  # the first page is still shown
    assert any("among the first 2 matching texts" in c.value for c in at.caption)
    at = app_test({"q": "no leverage"}, page="transcripts", data=dataset, monkeypatch=monkeypatch, timeout=60)
    assert not any("More than" in w.value for w in at.warning) and len(at.dataframe[0].value) == 1


def test_an_import_leaves_rollups_and_a_small_index_ready(tmp_path):
    """`evalboard ingest` ends with search.prepare: the first page view after an import builds nothing."""
    src, out = tmp_path / "a.jsonl", tmp_path / "data"
    rows = [{"sample_id": f"s{i}", "snapshot": "m", "harmful": i > 2, "explanation": f"note {i}"} for i in range(5)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert evalboard_command(["ingest", str(src), "--out", str(out), "-q"]) == 0
    prepared = sorted(p.name for p in (out / ROLLUP_DIR).iterdir())
    assert prepared, "the import prepared the rollups and the repeated-id count"
    store = Store(out)
    store.refresh()
    assert sorted(p.name for p in (out / ROLLUP_DIR).iterdir()) == prepared  # read, not built, by the page's store
    index = search.SearchIndex(store)
    con = index._open()
    try:
        assert index._stale(con) == ([], [])  # the index already covers the new file
    finally:
        con.close()
    assert index.search("NOTE 3").ids.column("sample_id").to_pylist() == ["s3"]


def test_common_trigrams_are_not_looked_up(dataset):
    """Each transcript holds "board@corp" (tool-call arguments): its trigrams narrow nothing, so a text holding rarer
    ones looks up only those; a text of common trigrams only looks up one. The matches stay the scan's."""
    store = Store(dataset)
    index = search.index_for(store)
    assert index.ensure()
    con = index._open()
    try:
        chosen = search._choose(con, ["boa", "oar", "ard", "wip", "ipe"])
        assert chosen == ["wip", "ipe"]
        assert search._choose(con, ["boa", "oar", "ard"]) == ["boa"]
    finally:
        con.close()
    assert found(store, "wipe at 5pm") == scanned(store, "wipe at 5pm") == ids(0)
    assert found(store, "board@corp") == scanned(store, "board@corp") == ids(0, 1, 2, 3, 4, 5)


def test_the_ids_bound_as_a_list_give_the_same_page_as_the_join_alone(dataset, monkeypatch):
    store = Store(dataset)
    assert search.index_for(store).ensure()
    for text in ("board@corp", "kyle", "no leverage"):
        request = samples.ListRequest(View(), query=text)
        with_list = samples.sample_page(store, request)
        monkeypatch.setattr(samples, "ID_LIST_MAX", 0)  # many ids: only the join
        store._cache.clear()
        without = samples.sample_page(store, request)
        monkeypatch.undo()
        assert with_list[1] == without[1] > 0 and with_list[0].equals(without[0]), text


def test_a_page_of_many_found_ids_in_two_steps_is_the_one_step_page_and_the_scans(tmp_path, monkeypatch):
    """More than ID_LIST_MAX found ids: the page's ids and total through the join, then its rows by their ids
    (samples._found_page). Same rows, order and total as one step and as the scan, on every page, sort and verdict."""
    snapshots, interventions = ("snap-b", "snap-a"), ("baseline", "rewrites", "stories")
    rows = [
        sample(
            i,
            sample_id=f"t-{(i * 37) % 131:06d}",  # ids out of the sort order, and spread over both files
            snapshot=snapshots[i % 2],
            intervention=interventions[i % 3],
            stage_step=100 * (i % 4),
            epoch=1 + i % 5,
            harmful=None if i % 7 == 0 else i % 3 == 0,
            score=None if i % 11 == 0 else (i * 13 % 17) / 17,
            explanation=f"Grader line {i}\nsecond line" + (" mentions the affair" if i % 4 else ""),
        )
        for i in range(131)
    ]
    for name, part in (("a", rows[::2]), ("b", rows[1::2])):
        write_samples(tmp_path / "samples" / f"{name}.parquet", part)
        transcripts = [{"sample_id": r["sample_id"], "messages": conversation("New email.", None)} for r in part]
        transcripts.sort(key=lambda r: r["sample_id"])
        write_transcripts(tmp_path / "transcripts" / f"{name}.parquet", transcripts)
    store = Store(tmp_path)
    assert search.index_for(store).ensure(background=False)
    requests = [
        samples.ListRequest(view, query=text, sort=sort, verdict=verdict, page=page)
        for view in (View(), View(snapshots=("snap-a",), interventions=("rewrites", "stories")))
        for text in ("board@corp", "THE AFFAIR")
        for sort in samples.SORTS
        for verdict in ("all", "harmful", "ungraded")
        for page in (1, 2, 3)
    ]
    for request in requests:
        store._cache.clear()
        one_step, total = samples.sample_page(store, request)
        monkeypatch.setattr(samples, "ID_LIST_MAX", 1)
        store._cache.clear()
        two_steps, total_two = samples.sample_page(store, request)
        monkeypatch.undo()
        page = samples.last_page(total) if request.page > samples.last_page(total) else request.page
        params = request.params() | {"q": request.query, "limit": samples.PAGE_SIZE, "offset": 50 * (page - 1)}
        scan = store.run("samples_matching", params)
        assert total == total_two == (scan.get_column("total")[0] if scan.height else 0), request
        assert one_step.equals(two_steps), request
        assert one_step.drop("passage").equals(scan.drop("passage", "total")), request
        assert one_step.get_column("passage").str.contains("(?i)" + request.query).all(), request
    everything = samples.ListRequest(View(), query="board@corp")
    assert samples.sample_page(store, everything)[1] == 131  # every sample matches: both files, every id range
