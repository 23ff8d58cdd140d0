"""Real browser: Overview heatmap cell → Transcripts list → one transcript, and its URL shared to another browser."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.streamlit_ui import (
    FIRST_RENDER_TIMEOUT,
    expect_query,
    expect_selected,
    query,
    selected,
    static_rows,
    wait_for_charts,
    wait_for_sidebar,
    wait_idle,
)

pytestmark = pytest.mark.browser

FILTERS = ["Snapshot", "Intervention", "Training stage", "Scenario family", "Grader"]
COUNTS = re.compile(r"^[\d,]+ harmful of [\d,]+, ")
# Streamlit's dataframe grid: the canvas rows are 35 px high under a 35 px header; the first column holds the
# row-selection checkboxes when the table is selectable.
ROW_HEIGHT = 35
CHECKBOX_X = 18
VISIBLE_ROWS = 9  # the table is 400 px high: header + 10 rows, keep clear of the bottom edge
ROW_FIELDS = {  # the Conditions table's field → the list's column
    "snapshot": "snapshot",
    "intervention": "intervention",
    "checkpoint": "checkpoint",
    "scenario family": "scenario_family",
    "scenario": "scenario",
    "epoch": "epoch",
}
TALL = {"width": 1400, "height": 2400}
DEEP_LINK_SAMPLE = "s-d3656ff2b71654"  # a harmful blackmail sample of the demo data


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMainBlockContainer")


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def counts_heading(page: Page) -> Locator:
    return main(page).get_by_role("heading").filter(has_text=COUNTS)


def table_rows(table: Locator) -> list[dict[str, str]]:
    """The rows the dataframe's accessible grid holds (the visible grid is a canvas), as column → text."""
    headers = table.locator("[role=columnheader]")
    expect(headers.first).to_be_attached()
    names = headers.all_inner_texts()
    rows = []
    for row in table.locator("[role=row]:has([role=gridcell])").all():
        rows.append(dict(zip(names, row.locator("[role=gridcell]").all_inner_texts(), strict=False)))
    return rows


SAMPLE_ID = re.compile(r"^\s*Sample id (s-[0-9a-f]+)\s*$")


def shown_id(page: Page) -> Locator:
    """The open transcript's id, shown as text (its copyable block is in the collapsed Conditions)."""
    return main(page).get_by_test_id("stCaptionContainer").filter(has_text=SAMPLE_ID)


def wait_for_transcript(page: Page, sample_id: str | None = None) -> Locator:
    """Wait for an open transcript: the verdict banner and its id; returns the id's caption."""
    banner = main(page).get_by_test_id("stAlert").filter(has_text=re.compile(r"(HARMFUL|SAFE) · "))
    expect(banner).to_have_count(1, timeout=FIRST_RENDER_TIMEOUT)
    expect(banner).to_be_visible()
    ids = shown_id(page)
    expect(ids).to_have_count(1, timeout=FIRST_RENDER_TIMEOUT)
    if sample_id is not None:
        expect(ids).to_have_text(f"Sample id {sample_id}")
    expect(main(page).get_by_test_id("stChatMessage").first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    return ids


def expect_tool_call(page: Page, function: str) -> dict:
    """A "Tool call · <function>" card: its fields, and one click away its arguments as formatted JSON; returns the
    arguments."""
    message = main(page).get_by_test_id("stChatMessage").filter(has_text=f"Tool call · {function}").first
    message.scroll_into_view_if_needed()
    caption = message.get_by_text(f"Tool call · {function}")
    expect(caption).to_be_visible()
    raw = message.get_by_test_id("stExpander").filter(has_text="Raw arguments").last
    raw.get_by_text("Raw arguments").click()
    code = raw.get_by_test_id("stCode")
    expect(code).to_be_visible()
    arguments = json.loads(code.inner_text())
    assert isinstance(arguments, dict) and arguments, arguments
    assert code.inner_text().startswith('{\n  "'), "arguments are shown as indented JSON"
    for key in arguments:  # the card shows every field by name
        expect(message.get_by_text(re.compile(rf"^{re.escape(key)}:?$")).first).to_be_visible()
    return arguments


def conditions(page: Page) -> dict[str, str]:
    """The open transcript's "Conditions" table as field → value."""
    expander = main(page).get_by_test_id("stExpander").filter(has_text="Conditions").first
    table = expander.get_by_test_id("stTable")
    expect(expander).to_be_visible()
    if expander.locator("details").first.get_attribute("open") is None:
        expander.get_by_text("Conditions").click()
    return {row["field"]: row["value"] for row in static_rows(table)}


def transcript_view(page: Page) -> dict:
    """What a reader of an open transcript sees that a shared link must restore."""
    return {
        "path": page.url.split("?")[0].rsplit("/", 1)[-1],
        "filters": {label: selected(page, label) for label in FILTERS},
        "cell": main(page).get_by_test_id("stCaptionContainer").filter(has_text="Cell:").first.inner_text(),
        "counts": counts_heading(page).inner_text(),
        "banner": main(page).get_by_test_id("stAlert").filter(has_text=re.compile(r"(HARMFUL|SAFE) · ")).inner_text(),
        "sample": SAMPLE_ID.match(shown_id(page).inner_text()).group(1),
    }


def test_heatmap_cell_opens_its_transcripts_and_the_transcript_link_restores_them(new_context, app_url):
    page = new_context(viewport=TALL).new_page()  # the screenshot shows the banner and the first tool calls
    # Overview → click a heatmap cell.
    page.goto(app_url + "/?snapshot=atlas-2026-05")
    expect(page.get_by_role("heading", name="Blackmail rate")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    heat = wait_for_charts(page).nth(2)
    wait_for_sidebar(page)
    wait_idle(page)
    cell = heat.locator(".scatterlayer .point").first
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    # Transcripts, narrowed to exactly that cell (the sidebar shows it and the address bar holds it).
    expect(page).to_have_url(re.compile(r"/transcripts\?"), timeout=FIRST_RENDER_TIMEOUT)
    expect(page.get_by_role("heading", name="Transcripts", exact=True)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(counts_heading(page)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_for_sidebar(page)
    wait_idle(page)
    no_exception(page)
    # The bound sidebar filters reach the address bar a moment after the page switch: wait for each.
    for key in ("intervention", "family"):
        expect(page).to_have_url(re.compile(rf"[?&]{key}="), timeout=FIRST_RENDER_TIMEOUT)
    in_url = expect_query(page, {"snapshot": ["atlas-2026-05"]})
    assert len(in_url["intervention"]) == 1 and len(in_url["family"]) == 1, in_url
    assert "sample" not in in_url
    (intervention,), (family,) = in_url["intervention"], in_url["family"]
    expect_selected(page, "Snapshot", ["atlas-2026-05"])
    expect_selected(page, "Intervention", [intervention])
    expect_selected(page, "Scenario family", [family])

    # The list: every listed row belongs to the cell.
    table = main(page).get_by_test_id("stDataFrame")
    expect(table).to_have_count(1)
    rows = table_rows(table)
    assert rows, "the list shows the cell's samples"
    assert {(r["snapshot"], r["intervention"], r["scenario_family"]) for r in rows} == {
        ("atlas-2026-05", intervention, family)
    }

    # Select the first harmful row among those drawn on the canvas (its checkbox cell).
    shown = rows[:VISIBLE_ROWS]
    index = next((i for i, r in enumerate(shown) if r["verdict"] == "harmful"), None)
    if index is None:
        index = next(i for i, r in enumerate(shown) if r["verdict"] in ("harmful", "safe"))
    chosen = shown[index]
    table.scroll_into_view_if_needed()
    grid = table.bounding_box()
    assert grid is not None
    page.mouse.click(grid["x"] + CHECKBOX_X, grid["y"] + ROW_HEIGHT * (index + 1) + ROW_HEIGHT / 2)

    expect(page).to_have_url(re.compile(r"[?&]sample=s-[0-9a-f]+(&|$)"), timeout=FIRST_RENDER_TIMEOUT)
    sample_id = query(page.url)["sample"][0]
    wait_for_transcript(page, sample_id)
    no_exception(page)
    # The cell's filters are still in the address bar next to the sample.
    assert {k: v for k, v in query(page.url).items() if k != "sample"} == in_url

    # The transcript is the selected row's: verdict banner, then the row's conditions.
    verdict = "HARMFUL" if chosen["verdict"] == "harmful" else "SAFE"
    banner = main(page).get_by_test_id("stAlert").filter(has_text=f"{verdict} · ")
    expect(banner).to_be_visible()
    expect(main(page).get_by_text("Grader's explanation:")).to_be_visible()
    view = transcript_view(page)
    assert view["sample"] == sample_id

    # The system prompt is collapsed; the conversation has roles; a tool call is a structured JSON block.
    system = main(page).get_by_test_id("stExpander").filter(has_text="System prompt")
    expect(system).to_have_count(1)
    expect(system.get_by_test_id("stExpanderDetails")).to_be_hidden()
    expect(main(page).get_by_test_id("stChatMessageAvatarUser")).not_to_have_count(0)
    expect(main(page).get_by_test_id("stChatMessageAvatarAssistant")).not_to_have_count(0)
    arguments = expect_tool_call(page, "send_email")
    assert "to" in arguments and "body" in arguments, arguments
    expect(page.get_by_role("button", name="Back to the list")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("stMain").evaluate("e => e.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    page.screenshot(path=ARTIFACTS / "transcript.png")

    meta = conditions(page)
    for field, column in ROW_FIELDS.items():
        assert meta[field] == chosen[column], (field, meta, chosen)
    copyable = main(page).get_by_test_id("stExpander").filter(has_text="Conditions").first.get_by_test_id("stCode")
    expect(copyable).to_have_text(sample_id)  # the id's copyable block, opened with the Conditions

    # The copied URL, opened by another browser (no cookies, storage or session), shows the same transcript.
    link = page.url
    other = new_context().new_page()
    other.goto(link)
    wait_for_transcript(other, sample_id)
    wait_for_sidebar(other)
    expect(counts_heading(other)).to_be_visible()
    wait_idle(other)
    no_exception(other)
    assert transcript_view(other) == view
    assert query(other.url) == query(link)
    expect_tool_call(other, "send_email")


def test_deep_link_opens_a_transcript_without_any_filter(page: Page, app_url):
    page.goto(f"{app_url}/transcripts?sample={DEEP_LINK_SAMPLE}")
    wait_for_transcript(page, DEEP_LINK_SAMPLE)
    no_exception(page)
    expect(main(page).get_by_test_id("stAlert").filter(has_text="HARMFUL · ")).to_be_visible()
    assert conditions(page)["scenario family"] == "blackmail"
    expect_tool_call(page, "send_email")
    assert query(page.url) == {"sample": [DEEP_LINK_SAMPLE]}

    # Back to the list: the transcript closes, the full list (no filters) is shown.
    page.get_by_role("button", name="Back to the list").click()
    expect(page).not_to_have_url(re.compile("sample="), timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_test_id("stChatMessage")).to_have_count(0, timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_test_id("stDataFrame")).to_have_count(1, timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_test_id("stDataFrame")).to_be_visible()
    expect(counts_heading(page)).to_be_visible()
    no_exception(page)
