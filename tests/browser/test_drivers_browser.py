"""Real browser: /drivers reached by URL (its variable in the address), a heatmap cell clicked → exactly that cell's
transcripts; the Overview's through-training sentence."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import drivers
from evalboard.screens import transcripts as samples
from tests.browser.streamlit_ui import (
    FIRST_RENDER_TIMEOUT,
    query,
    static_rows,
    wait_for_charts,
    wait_for_sidebar,
    wait_idle,
)
from tests.helpers import DEMO

pytestmark = pytest.mark.browser

COUNTS = re.compile(r"^([\d,]+) harmful of ([\d,]+), ")
TALL = {"width": 1400, "height": 2400}


def main(page: Page):
    return page.get_by_test_id("stMainBlockContainer")


def test_drivers_by_url_and_a_cell_drills_into_its_transcripts(new_context, app_url):
    page = new_context(viewport=TALL).new_page()
    page.goto(app_url + "/drivers?snapshot=atlas-2026-11&key=goal_type")
    expect(page.get_by_role("heading", name="What drives the rate")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    heat = wait_for_charts(page, count=1).first
    wait_for_sidebar(page)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ranking = static_rows(main(page).get_by_test_id("stTable").first)
    assert ranking[0]["variable"] == "urgency_type" and ranking[1]["variable"].startswith("scenario_family")
    expect(page.get_by_role("combobox", name="Variable in detail")).to_have_value("goal_type")
    expect(main(page).get_by_text(re.compile("lowers the rate under every goal type"))).to_have_count(2)

    cell = heat.locator(".scatterlayer .point").last
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    expect(page).to_have_url(re.compile(r"/transcripts\?"), timeout=FIRST_RENDER_TIMEOUT)
    counts = main(page).get_by_role("heading").filter(has_text=COUNTS)
    expect(counts).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    in_url = query(page.url)
    assert in_url["variable"] == ["goal_type"] and in_url["snapshot"] == ["atlas-2026-11"], in_url
    (value,) = in_url["value"]
    expect(main(page).get_by_text("Listing only transcripts whose")).to_be_visible()
    # The list's counts are the clicked cell's: the same counts the Drivers page drew it from.
    view = View(snapshots=("atlas-2026-11",))
    store = Store(DEMO)
    counted = drivers.counts(store, view)
    heat_rows = drivers.heat_frame(counted, drivers.rank(counted).find("goal_type"))
    intervention = in_url.get("intervention", [drivers.ALL])[0]
    cell_row = heat_rows.filter((heat_rows["value"] == value) & (heat_rows["intervention"] == intervention)).row(
        0, named=True
    )
    k, n = (int(x.replace(",", "")) for x in COUNTS.match(counts.inner_text()).groups())
    assert (k, n) == (cell_row["k"], cell_row["n"])
    listed = samples.ListRequest(
        View(snapshots=("atlas-2026-11",), interventions=tuple(in_url.get("intervention", ()))), variable="goal_type",
        value=value,
    )  # fmt: skip
    assert samples.cell_counts(store, listed)["n"] == n


def test_the_overview_says_whether_the_gain_survives_rl(page: Page, app_url):
    page.goto(app_url + "/?snapshot=atlas-2026-05")
    expect(page.get_by_role("heading", name="Blackmail rate")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_for_charts(page)
    wait_idle(page)
    expect(
        main(page).get_by_text(re.compile(r"^baseline drifts up through RL: \+[\d.]+ pts per 1,000 steps"))
    ).to_be_visible()
