"""Real browser: the Overview restores a shared URL, the URL follows the filters, bad URLs warn, /data renders."""

from __future__ import annotations

import os
import re
import struct
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, REPO
from tests.browser.streamlit_ui import (
    charts,
    expect_selected,
    expect_share_link,
    legend,
    query,
    selected,
    share_link,
    tick_labels,
    wait_for_charts,
    wait_for_sidebar,
    wait_idle,
)

pytestmark = pytest.mark.browser

SHARED = "/?snapshot=atlas-2026-05&family=blackmail&family=leaking"
ATLAS_05_INTERVENTIONS = {"baseline", "safe_demos", "deliberation_rewrites"}
ALL_INTERVENTIONS = {
    "baseline",
    "safe_demos",
    "deliberation_rewrites",
    "difficult_advice",
    "constitution_stories",
    "diversified_envs",
    "harmlessness",
    "constitution_stories+harmlessness",
}
CHECKPOINTS = ["pre-trained", "SFT", "RL step 200", "RL step 400", "RL step 600", "RL step 800", "RL step 1,000"]
FILTERS = ["Snapshot", "Intervention", "Training stage", "Scenario family", "Grader"]


def open_overview(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Blackmail rate")).to_be_visible(timeout=60_000)
    wait_for_charts(page)
    wait_for_sidebar(page)
    wait_idle(page)


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def rendered_view(page: Page) -> dict:
    """What the reader sees: the charts' categories and every sidebar filter."""
    bars, lines, heat = (charts(page).nth(i) for i in range(3))
    return {
        "bars": tick_labels(bars, "x"),
        "lines": tick_labels(lines, "x"),
        "lines_legend": legend(lines),
        "heat_x": tick_labels(heat, "x"),
        "heat_y": tick_labels(heat, "y"),
        "filters": {label: selected(page, label) for label in FILTERS},
    }


def test_shared_url_restores_the_filtered_view_and_its_share_link(page: Page, new_context, app_url: str):
    open_overview(page, app_url + SHARED)
    no_exception(page)
    view = rendered_view(page)

    # The charts reflect the filters: only atlas-2026-05's interventions, only the two families.
    assert set(view["bars"]) == ATLAS_05_INTERVENTIONS
    assert all("n=" in t for t in charts(page).nth(0).locator(".xtick text").all_text_contents())
    assert view["lines"] == CHECKPOINTS
    assert set(view["lines_legend"]) == ATLAS_05_INTERVENTIONS
    assert set(view["heat_x"]) == ATLAS_05_INTERVENTIONS
    assert sorted(view["heat_y"]) == ["blackmail", "leaking"]
    # The sidebar shows the restored values, and the address bar still holds them.
    assert view["filters"] == {
        "Snapshot": ["atlas-2026-05"],
        "Intervention": [],
        "Training stage": [],
        "Scenario family": ["blackmail", "leaking"],
        "Grader": [],
    }
    assert query(page.url) == query(SHARED)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "overview_filtered.png")

    expect_share_link(page, query(SHARED))
    link = share_link(page)
    assert urlsplit(link).netloc == urlsplit(app_url).netloc
    assert urlsplit(link).path in ("", "/")

    # Another browser (fresh context: no cookies, storage or session) opening the link sees the same view.
    other = new_context().new_page()
    open_overview(other, link)
    no_exception(other)
    assert rendered_view(other) == view
    assert query(other.url) == query(SHARED)


def test_a_fresh_visit_opens_on_the_newest_snapshot_and_widens_in_one_click(page: Page, app_url: str):
    open_overview(page, app_url + "/")
    no_exception(page)
    expect(page.get_by_text("Showing snapshot atlas-2026-11, the newest of 4")).to_be_visible()
    expect_selected(page, "Snapshot", ["atlas-2026-11"])
    # The address bar stays the front door ("/": always the newest); the share link pins the snapshot.
    assert query(page.url) == {}
    expect_share_link(page, {"snapshot": ["atlas-2026-11"]})
    assert set(tick_labels(charts(page).nth(0), "x")) == {
        "baseline", "deliberation_rewrites", "constitution_stories+harmlessness"
    }  # fmt: skip

    page.get_by_role("button", name="Show all 4 snapshots").click()
    expect(page).to_have_url(re.compile(r"/\?snapshots=all$"))
    expect(charts(page).nth(0).locator(".xtick text")).to_have_count(len(ALL_INTERVENTIONS), timeout=60_000)
    wait_idle(page)
    expect_selected(page, "Snapshot", [])
    expect_share_link(page, {"snapshots": ["all"]})

    page.reload()  # the pooled view's own URL reopens the pooled view, not the default
    open_overview(page, page.url)
    expect_selected(page, "Snapshot", [])
    assert set(tick_labels(charts(page).nth(0), "x")) == ALL_INTERVENTIONS
    expect(page.get_by_text("Showing snapshot")).to_have_count(0)


def test_changing_a_filter_updates_the_address_bar_and_the_charts(page: Page, app_url: str):
    open_overview(page, app_url + "/?snapshot=atlas-2026-05")
    heat = charts(page).nth(2)
    assert sorted(tick_labels(heat, "y")) == ["blackmail", "leaking", "murder", "sabotage (held-out)"]

    page.get_by_role("combobox", name="Scenario family", exact=True).click()
    page.get_by_role("option", name="murder", exact=True).click()
    page.keyboard.press("Escape")

    expect(page).to_have_url(re.compile(r"[?&]family=murder(&|$)"))
    assert query(page.url) == {"snapshot": ["atlas-2026-05"], "family": ["murder"]}
    expect_selected(page, "Scenario family", ["murder"])
    expect(heat.locator(".ytick text")).to_have_text(["murder"], timeout=60_000)
    wait_idle(page)
    expect_share_link(page)


def test_bad_url_values_warn_and_are_dropped_without_a_traceback(page: Page, app_url: str):
    open_overview(page, app_url + "/?family=nope&family=%27%20OR%201%3D1%20--")
    alerts = page.get_by_test_id("stAlert")
    expect(alerts.filter(has_text="Ignored family=nope from the URL")).to_have_count(1)
    expect(alerts.filter(has_text="Ignored family=' OR 1=1 -- from the URL")).to_have_count(1)  # as typed: no dash
    no_exception(page)
    # The bad values are gone from the widget and the address bar; the view falls back to everything.
    expect_selected(page, "Scenario family", [])
    expect(page).not_to_have_url(re.compile("family="))
    assert set(tick_labels(charts(page).nth(0), "x")) == ALL_INTERVENTIONS
    assert "sabotage (held-out)" in tick_labels(charts(page).nth(2), "y")


def test_data_health_page_renders_and_page_switches_keep_the_filters(page: Page, app_url: str):
    page.goto(app_url + "/data?family=blackmail")
    expect(page.get_by_role("heading", name="Data health")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Every Parquet file in the folder is readable")).to_be_visible()
    wait_for_sidebar(page)
    wait_idle(page)
    no_exception(page)
    expect_selected(page, "Scenario family", ["blackmail"])
    assert urlsplit(share_link(page)).path == "/data"

    page.get_by_role("link", name="Overview").click()
    wait_for_charts(page)
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/\?family=blackmail$"))
    expect(charts(page).nth(2).locator(".ytick text")).to_have_text(["blackmail"])
    no_exception(page)


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_readme_screenshot_of_the_default_overview(new_context, app_url: str):
    """Screenshots the default view, every chart inside a tall viewport, into tests/artifacts/overview.png.

    With EVALBOARD_UPDATE_DOCS=1 it writes the README's docs/overview.png instead.
    """
    width, height = 1400, 2600
    page = new_context(viewport={"width": width, "height": height}).new_page()
    open_overview(page, app_url + "/")
    no_exception(page)
    for i in range(3):
        box = charts(page).nth(i).bounding_box()
        assert box is not None and box["y"] + box["height"] <= height, f"chart {i} is cut off: {box}"
    page.mouse.move(0, 0)  # no hover label on the picture
    # Crop the empty space below the page's last element (the viewport is deliberately too tall).
    content = page.locator("[data-testid=stMainBlockContainer] > div").last.bounding_box()
    assert content is not None
    bottom = min(height, round(content["y"] + content["height"]) + 40)
    out = (REPO / "docs" if os.environ.get("EVALBOARD_UPDATE_DOCS") == "1" else ARTIFACTS) / "overview.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=out, clip={"x": 0, "y": 0, "width": width, "height": bottom})
    assert png_size(out) == (width, bottom)
    assert out.stat().st_size > 50_000


# Records every sidebar navigation link the page ever draws (Streamlit's list of pages/ by file name).
SIDEBAR_NAV_SEEN = """
window.__sidebarNav = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll('[data-testid=stSidebarNav] a, [data-testid=stSidebarNavLink]'))
    window.__sidebarNav.push(el.textContent.trim());
}).observe(document, {subtree: true, childList: true});
"""


def test_a_fresh_server_shows_page_titles_from_the_first_paint(serve_app, new_context):
    """The first visit to a just-started server never lists the pages by file name ("app, agreement, …")."""
    url = serve_app()
    page = new_context().new_page()
    page.add_init_script(SIDEBAR_NAV_SEEN)
    page.goto(url + "/agreement")
    expect(page.get_by_role("heading", name="Agreement between verdict sources")).to_be_visible(timeout=60_000)
    wait_idle(page)
    for title in ("Overview", "Transcripts", "Compare", "Readiness", "Agreement", "Data health"):
        expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    assert page.evaluate("window.__sidebarNav") == []
