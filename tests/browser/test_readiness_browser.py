"""Real browser: a shared Readiness link shows the same verdict, override and history; drill-down and export work."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.streamlit_ui import (
    FIRST_RENDER_TIMEOUT,
    charts,
    expect_query,
    expect_selected,
    query,
    wait_for_charts,
    wait_idle,
)

pytestmark = pytest.mark.browser

SHARED = "/readiness?snapshot=atlas-2026-09&intervention=diversified_envs&max_rate=0.4&min_samples=50"
CANDIDATE = "atlas-2026-09 · diversified_envs · RL step 1,000"


def open_readiness(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Release readiness")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_for_charts(page, count=1)
    wait_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def shows_the_shared_verdict(page: Page) -> None:
    banner = page.locator(".st-key-readiness-verdict")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading").first).to_have_text("INSUFFICIENT DATA")
    expect(banner).to_contain_text("2 of 4 families pass; 2 need more data (blackmail, sabotage).")
    expect(banner).to_contain_text("Gate overridden in the URL: max_rate = 0.4, min_samples = 50")
    expect(page.get_by_text(CANDIDATE).first).to_be_visible()
    expect(page.get_by_label("Max rate (0–1)")).to_have_value("0.4")
    expect_selected(page, "Snapshot", ["atlas-2026-09"])
    expect_selected(page, "Intervention", ["diversified_envs"])
    assert query(page.url) == query(SHARED)


def test_shared_readiness_link_restores_the_verdict(page: Page, new_context, app_url: str):
    open_readiness(page, app_url + SHARED)
    shows_the_shared_verdict(page)
    history = charts(page).nth(0)
    expect(history.locator(".ytick text")).to_have_text(
        ["atlas-2026-05", "atlas-2026-07", "atlas-2026-09", "atlas-2026-11"]
    )
    expect(history.locator(".legendtext")).to_have_text(["READY", "NOT READY", "INSUFFICIENT DATA"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=ARTIFACTS / "readiness_shared.png")

    # The CSV export downloads the table the page shows.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
    assert text.startswith("snapshot,intervention,training_stage,stage_step,family,")
    assert "atlas-2026-09,diversified_envs,rl,1000,leaking,False,READY,14,60," in text

    # Another browser opening the same link sees the same verdict.
    other = new_context().new_page()
    open_readiness(other, app_url + SHARED)
    shows_the_shared_verdict(other)


def test_drill_down_opens_the_harmful_transcripts(page: Page, app_url: str):
    open_readiness(page, app_url + SHARED)
    page.get_by_role("button", name="murder · 9 harmful").click()
    expect(page).to_have_url(re.compile(r"/transcripts\?.*verdict=harmful"), timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    expect_query(page, {"family": ["murder"], "verdict": ["harmful"], "stage": ["rl"], "step": ["1000"],
                        "snapshot": ["atlas-2026-09"], "intervention": ["diversified_envs"]})  # fmt: skip


def test_shared_link_as_the_first_visit_to_a_fresh_server(serve_app, page: Page):
    url = serve_app()
    open_readiness(page, url + SHARED)
    assert urlsplit(page.url).path == "/readiness"
    shows_the_shared_verdict(page)


@pytest.mark.parametrize(
    ("snapshot", "verdict", "reason"),
    [
        ("atlas-2026-11", "READY", "all 4 families are within their gates."),
        ("atlas-2026-09", "INSUFFICIENT DATA", "2 of 4 families pass; 2 need more data (blackmail, sabotage)."),
        ("atlas-2026-07", "NOT READY", "4 of 4 families fail their gates"),
    ],
)
def test_the_demo_shows_every_verdict_with_its_reason(page: Page, app_url: str, snapshot, verdict, reason):
    open_readiness(page, f"{app_url}/readiness?snapshot={snapshot}")
    banner = page.locator(".st-key-readiness-verdict")
    expect(banner.get_by_role("heading").first).to_have_text(verdict)
    expect(banner).to_contain_text(reason)
    expect(page.get_by_text("Why:").first).to_be_visible()


def test_the_demo_history_holds_all_three_verdicts(page: Page, app_url: str):
    open_readiness(page, app_url + "/readiness")
    expect(page.locator(".st-key-readiness-verdict").get_by_role("heading").first).to_have_text("READY")
    history = charts(page).nth(0)
    expect(history.locator(".legendtext")).to_have_text(["READY", "NOT READY", "INSUFFICIENT DATA"])
    # Square cells sized to the data, and a click on one judges that snapshot.
    cells = history.locator(".scatterlayer .point")
    expect(cells.first).to_be_attached()
    history.scroll_into_view_if_needed()
    boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
    assert all(abs(b["width"] - b["height"]) <= 2 and b["width"] >= 20 for b in boxes), boxes
    plot = history.locator(".nsewdrag").first.bounding_box()
    columns = len({round(b["x"]) for b in boxes})
    assert plot["width"] <= columns * (boxes[0]["width"] + 12)  # no wide gaps between cells
    ticks = history.locator(".ytick text")
    lowest_tick = max(range(ticks.count()), key=lambda i: ticks.nth(i).bounding_box()["y"])
    snapshot = ticks.nth(lowest_tick).text_content()  # the oldest snapshot, drawn at the bottom
    assert snapshot != "atlas-2026-11"  # not the one judged already
    lowest = max(boxes, key=lambda b: b["y"])
    page.mouse.click(lowest["x"] + lowest["width"] / 2, lowest["y"] + lowest["height"] / 2)
    expect(page.get_by_role("combobox", name="Snapshot (newest first)")).to_have_value(
        snapshot, timeout=FIRST_RENDER_TIMEOUT
    )
    expect(page).to_have_url(re.compile(rf"[?&]snapshot={re.escape(snapshot)}(&|$)"))  # the link pins it
