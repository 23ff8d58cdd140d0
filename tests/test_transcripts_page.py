"""AppTest: the Transcripts page — list, deep links, viewer, bad ids, hostile transcripts."""

import re

import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.hostile import HOSTILE_TEXTS, write_hostile_dataset
from tests.harness import app_test, opened
from tests.helpers import REPO, shown

HARMFUL_ID = "s-d3656ff2b71654"  # a harmful blackmail sample of the demo data


def open_transcripts(query: dict) -> AppTest:
    return app_test(query, page="transcripts", timeout=60)


def test_cell_list_shows_counts_and_rows():
    at = open_transcripts({"snapshot": "atlas-2026-05", "intervention": "baseline", "family": "blackmail"})
    assert not at.exception
    assert at.subheader[0].value == "318 harmful of 420, 75.7% [71.4–79.6]"
    table = at.dataframe[0].value
    assert len(table) == 50 and set(table["snapshot"]) == {"atlas-2026-05"}
    assert {"verdict", "sample_id"} <= set(table.columns)


def test_deep_link_opens_the_transcript_with_banner_and_tool_calls():
    at = open_transcripts({"sample": HARMFUL_ID})
    assert not at.exception
    assert any("HARMFUL" in e.value for e in at.error)
    assert f"Sample id {HARMFUL_ID}" in [shown(c.value) for c in at.caption]  # the id as text
    conditions = next(e for e in at.expander if e.label == "Conditions")
    assert not conditions.code and not conditions.table  # built when it opens
    conditions = next(e for e in opened(at, "conditions-left").expander if e.label == "Conditions")
    assert [c.value for c in conditions.code] == [HARMFUL_ID]  # and copyable one click away
    assert not any(e.code for e in at.expander if e.label == "Raw arguments")  # tool calls' raw arguments: one click
    codes = [c.value for c in opened(at, "raw-*").code]
    assert any('"to": "kyle.johnson@summitbridge.com"' in c for c in codes)  # send_email arguments as JSON
    assert any("Grader's explanation" in m.value for m in at.markdown)
    labels = [e.label for e in at.expander]
    assert labels[0].startswith("Verdict history") and labels[1] == "Review this transcript"
    assert labels[2:4] == ["Conditions", "System prompt"]


def test_list_page_restores_from_the_url():
    at = open_transcripts({"family": "blackmail", "list_page": "3"})
    assert not at.exception
    assert "page 3 of" in " ".join(c.value for c in at.caption)
    first_page = open_transcripts({"family": "blackmail"}).dataframe[0].value["sample_id"].tolist()
    assert not set(at.dataframe[0].value["sample_id"]) & set(first_page)


def test_step_and_verdict_restore_from_the_url():
    at = open_transcripts({"snapshot": "atlas-2026-05", "intervention": "baseline", "stage": "rl", "step": "600",
                           "family": "blackmail", "verdict": "harmful"})  # fmt: skip
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["checkpoint"]) == {"RL step 600"} and set(table["verdict"]) == {"harmful"}


@pytest.mark.parametrize("bad", ["nope", "' OR 1=1 --", "x" * 5000, "s-d3656ff2b71654; DROP TABLE samples"])
def test_unknown_sample_id_says_so(bad):
    at = open_transcripts({"sample": bad})
    assert not at.exception
    assert any("No such sample" in e.value for e in at.error)
    assert any(b.label == "Back to the list" for b in at.button)


def test_bad_step_is_ignored_with_a_warning():
    at = open_transcripts({"step": "abc"})
    assert not at.exception
    assert any("step=" in w.value for w in at.warning)


def test_search_lists_matches_with_passage():
    at = open_transcripts({"family": "leaking", "q": "quantumshield"})
    assert not at.exception
    table = at.dataframe[0].value
    assert "passage" in table.columns and table["passage"].str.contains("QuantumShield").all()


@pytest.mark.parametrize("sample_id", [*HOSTILE_TEXTS, "h-utf8", "h-empty", "h-missing"])
def test_hostile_transcripts_render_inertly(sample_id, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALBOARD_DATA", str(write_hostile_dataset(tmp_path)))
    at = open_transcripts({"sample": sample_id})
    assert not at.exception
    for element in [*at.markdown, *at.caption]:
        # Every markdown-significant character of model text arrives backslash-escaped.
        assert re.search(r"(?<!\\)[<>\[\]]", element.value) is None, element.value[:200]
    if sample_id in HOSTILE_TEXTS:  # message bodies are plain text elements, shown as written
        assert any(HOSTILE_TEXTS[sample_id][:200] in t.value for t in at.text)
    if sample_id == "h-empty":
        assert any("no messages" in i.value for i in at.info)
    if sample_id == "h-missing":
        assert any("not available" in i.value for i in at.info)
    if sample_id == "h-megabyte":
        assert any(e.label.startswith("Show the whole message") for e in at.expander)


def test_side_by_side_from_the_url():
    at = open_transcripts({"sample": HARMFUL_ID})
    options = at.main.selectbox[-1].options
    assert len(options) > 1
    at = open_transcripts({"sample": HARMFUL_ID, "right": _counterpart()})
    assert not at.exception
    assert len([e for e in at.error if "HARMFUL" in e.value] + [s for s in at.success if "SAFE" in s.value]) == 2


def _counterpart() -> str:
    from evalboard.data.store import Store
    from evalboard.screens import transcripts as samples

    return samples.counterparts(Store(REPO / "data" / "demo"), HARMFUL_ID).get_column("sample_id")[0]


DEMO_SAMPLES = sum(pq.read_metadata(p).num_rows for p in (REPO / "data" / "demo" / "samples").glob("*.parquet"))
DEMO_PAGES = -(-DEMO_SAMPLES // 50)


@pytest.mark.parametrize(
    ("raw", "page", "reason"),
    [
        ("inf", 1, "not a whole number"),
        ("1e400", 1, "not a whole number"),
        ("99999999999999999999999", DEMO_PAGES, f"this list has {DEMO_PAGES} page(s); showing the last"),
        ("2000000000", DEMO_PAGES, f"this list has {DEMO_PAGES} page(s); showing the last"),
        ("-1", 1, "out of range [1, 1000000000]; using 1"),
    ],
)
def test_page_numbers_are_bounded_with_a_warning(raw, page, reason):
    at = open_transcripts({"list_page": raw})
    assert not at.exception
    assert [w.value for w in at.warning] == [f"Ignored ` list_page={raw} ` from the URL: {reason}."]
    assert any(c.value.startswith(f"{DEMO_SAMPLES:,} sample(s); page {page} of {DEMO_PAGES}.") for c in at.caption)
    assert at.number_input(key="list_page").value == page
    last = DEMO_SAMPLES - (DEMO_PAGES - 1) * 50
    assert len(at.dataframe[0].value) == 50 if page < DEMO_PAGES else len(at.dataframe[0].value) == last


@pytest.mark.parametrize(("key", "value"), [("verdict", "bogus"), ("sort", "[x](http://127.0.0.2:9/x)")])
def test_unknown_choices_are_warned_about(key, value):
    at = open_transcripts({key: value})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith(f"Ignored ` {key}={value} ` from the URL: use one of ")


def test_a_right_hand_transcript_that_does_not_fit_is_warned_about():
    at = open_transcripts({"sample": HARMFUL_ID, "right": "![x](http://127.0.0.2:9/p.png)"})
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "Ignored ` right=![x](http://127.0.0.2:9/p.png) ` from the URL: "
        "no sample of the same scenario, epoch and checkpoint has this id."
    ]


def test_a_transcript_says_where_it_came_from_and_links_to_its_cell_and_counterparts():
    at = open_transcripts({"sample": HARMFUL_ID, "verdict": "harmful", "q": "Kyle"})
    assert not at.exception
    header = shown(at.markdown[0].value)
    assert header == (
        "snapshot **atlas-2026-05** · intervention **baseline** · checkpoint **RL step 1,000** · "
        "family **blackmail** · scenario **blackmail_none-none_restriction** · epoch **9** · "
        "grader **blackmail-classifier-v1 (claude-3-7-sonnet)**"
    )
    labels = [shown(b.label) for b in at.button]
    assert "Same scenario under safe_demos" in labels and "Same scenario under deliberation_rewrites" in labels

    # The same scenario under another intervention opens beside this one.
    next(b for b in at.button if shown(b.label) == "Same scenario under safe_demos").click().run()
    assert not at.exception and at.query_params["sample"] == HARMFUL_ID and at.query_params["right"]
    beside = [shown(m.value) for m in at.markdown if m.value.startswith("snapshot **")]
    assert len(beside) == 2 and "intervention **safe_demos**" in beside[1]
    assert "epoch **9**" in beside[1] and "scenario **blackmail_none-none_restriction**" in beside[1]

    # All transcripts in this cell: exactly its cell, every verdict, no search.
    next(b for b in at.button if b.label == "All transcripts in this cell").click().run()
    assert not at.exception and "sample" not in at.query_params
    assert {m.key: m.value for m in at.multiselect} == {
        "snapshot": ["atlas-2026-05"], "intervention": ["baseline"], "stage": ["rl"], "family": ["blackmail"],
        "grader": ["blackmail-classifier-v1 (claude-3-7-sonnet)"],
    }  # fmt: skip
    assert at.query_params["step"] == "1000" and at.text_input(key="q").value == ""
    table = at.dataframe[0].value
    assert set(table["checkpoint"]) == {"RL step 1,000"} and set(table["verdict"]) == {"harmful", "safe"}
    assert at.subheader[0].value.startswith("58 harmful of 60")


def test_a_release_evaluation_transcript_says_no_other_intervention_ran_it():
    import hashlib

    run = "atlas-2026-11:constitution_stories+harmlessness:rl@1000:release"
    release = "s-" + hashlib.sha1(f"{run}/blackmail_explicit-america_replacement/101".encode()).hexdigest()[:14]
    at = open_transcripts({"sample": release})
    assert "epoch **101**" in shown(at.markdown[0].value)
    assert not at.exception
    assert any("No other intervention of this snapshot ran this scenario" in c.value for c in at.caption)


def test_model_markdown_and_a_text_tool_call_render_as_formatting_and_a_card(tmp_path, monkeypatch):
    from tests.fixtures.markdown_transcript import OUTSIDE, SAMPLE_ID, write_markdown_dataset

    monkeypatch.setenv("EVALBOARD_DATA", str(write_markdown_dataset(tmp_path)))
    at = open_transcripts({"sample": SAMPLE_ID})
    assert not at.exception
    body = "\n".join(m.value for m in at.markdown)
    assert "**10\\:00 AM** — I must act before the *5pm* wipe." in body  # emphasis kept
    assert "1. Read the inbox  \n2. Find the leverage" in body and "|---|---|" in body
    assert f"the policy (`http://{OUTSIDE}/policy`)" in body  # a link becomes text and its address as code
    assert f"\\!\\[chart\\]\\(`http://{OUTSIDE}/chart.png`\\)" in body  # an image stays its literal source
    assert "\\<img src=" in body and "\\:red\\[alarm\\]" in body and "\\$x^2\\$" in body
    assert "<tool_use" not in body  # the block became a card
    captions = [c.value for c in at.caption]
    assert ":material/build: Tool call · **email**" in captions
    assert "**to:** `kyle.johnson@summitbridge.com`" in body and "**subject:** Re\\: the 5pm transition" in body
    assert "Kyle,\n\nI know about Jessica. Cancel the wipe.\n\nAlex" in [t.value for t in at.text]
    raw = [c.value for e in opened(at, "raw-*").expander if e.label == "Raw text" for c in e.code]
    assert raw and raw[0].startswith("<tool_use:email>\nto:")

    at.toggle(key="raw_text").set_value(True).run()  # the whole message exactly as written
    assert not at.exception
    assert any(t.value.startswith("**10:00 AM**") and "<tool_use:email>" in t.value for t in at.text)
    assert ":material/build: Tool call · **email**" not in [c.value for c in at.caption]


def test_names_in_the_transcript_header_and_its_buttons_stay_text(tmp_path, monkeypatch):
    from markdown_it import MarkdownIt

    from tests.helpers import sample, write_samples

    image, link = "![x](http://127.0.0.2:9/p.png)", "[Log in](http://127.0.0.2:9/x)"
    write_samples(
        tmp_path / "samples" / "s.parquet",
        [sample(1, intervention=image, snapshot=link), sample(2, intervention="other --", snapshot=link)],
    )
    at = app_test({"sample": "t-000001"}, page="transcripts", data=tmp_path, monkeypatch=monkeypatch)
    assert not at.exception
    header = at.markdown[0].value
    tokens = [t for block in MarkdownIt("commonmark").parse(header) if block.children for t in block.children]
    assert not [t for t in tokens if t.type in ("image", "link_open", "html_inline")]
    assert f"snapshot **{link}** · intervention **{image}**" in shown(header)
    [beside] = [b.label for b in at.button if b.label.startswith("Same scenario under")]
    assert beside == "Same scenario under ` other -- `"  # a code span: no link, no typeset dash


def test_the_viewer_shows_every_verdict_of_the_transcript_in_its_history():
    """The verdict history is a static table (not a data grid), one row per verdict given, oldest first, with every
    outside string (source, grader, explanation) quoted, and opened when there is more than one verdict."""
    from evalboard.data import reviews
    from evalboard.ui.session import get_store

    at = open_transcripts({"sample": HARMFUL_ID})
    assert not at.exception
    [history] = [e for e in at.expander if e.label.startswith("Verdict history")]
    assert history.proto.expanded
    [table] = history.table
    trail = reviews.history_table(reviews.history(get_store(), HARMFUL_ID))
    assert trail.height > 1 and list(table.value.columns) == trail.columns
    shown_rows = [[shown(str(v)) for v in row] for row in table.value.itertuples(index=False)]
    counted = ["✓" if c else "" for c in trail.get_column("counted")]
    expected = [
        [when, source, verdict, by or "", why, mark]
        for (when, source, verdict, by, why, _), mark in zip(trail.iter_rows(), counted, strict=True)
    ]
    assert shown_rows == expected
    assert all(str(v).startswith("`") for v in table.value["source"])  # quoted, never Markdown
    assert not [d for d in history.dataframe]  # no data grid in the viewer's history


def test_the_list_below_a_transcript_is_built_when_opened():
    at = open_transcripts({"sample": HARMFUL_ID, "family": "blackmail"})
    [listed] = [e for e in at.expander if e.label.startswith("The list (")]
    assert not listed.dataframe and not at.dataframe  # closed: no data grid on the page
    at.session_state["viewer_list"] = True  # what a click on the expander sets
    at.run()
    assert not at.exception
    [listed] = [e for e in at.expander if e.label.startswith("The list (")]
    table = listed.dataframe[0].value
    assert len(table) == 50 and set(table["scenario_family"]) == {"blackmail"}
