"""Real browser: a shared /compare link restores A and B, shows the headline and the table, links to transcripts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.streamlit_ui import (
    FIRST_RENDER_TIMEOUT,
    expect_query,
    expect_share_link,
    query,
    wait_for_charts,
    wait_idle,
)

pytestmark = pytest.mark.browser

SHARED = (
    "/compare?a_snapshot=atlas-2026-05&a_intervention=baseline&a_stage=rl%401000"
    "&b_snapshot=atlas-2026-05&b_intervention=deliberation_rewrites&b_stage=rl%401000"
    "&family=blackmail&family=leaking"
)


def grid_texts(page: Page, role: str) -> list[str]:
    """Texts of the dataframe's accessible grid (the visible one is a canvas)."""
    cells = page.get_by_test_id("stDataFrame").locator(f"[role={role}]")
    expect(cells.first).to_be_attached()
    return cells.all_inner_texts()


def test_shared_compare_url_shows_headline_table_and_drill_down(app_url, page: Page):
    page.goto(app_url + SHARED)
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    headline = page.get_by_text("Against baseline, deliberation_rewrites lowers the harmful-action rate")
    expect(headline).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(headline).to_contain_text("across 2 families (atlas-2026-05 at RL step 1,000)")
    wait_for_charts(page, count=2)  # the "Families" section's; the others are drawn when their tab opens
    wait_idle(page)

    # Pickers and sidebar restored from the link; the address bar still holds the comparison.
    expect(page.get_by_role("combobox", name="Intervention").last).to_have_value("deliberation_rewrites")  # B's picker
    assert query(page.url)["b_intervention"] == ["deliberation_rewrites"]
    assert query(page.url)["family"] == ["blackmail", "leaking"]
    # The checkpoint reads as everywhere else; the address bar keeps the whole link, the default side A included,
    # and equals the page's share link.
    expect(page.get_by_role("combobox", name="Checkpoint").first).to_have_value("RL step 1,000")
    assert query(page.url) == query(SHARED)
    expect_share_link(page)
    wait_idle(page)

    headers = grid_texts(page, "columnheader")
    assert [h.strip() for h in headers] == ["family", "verdict", "A", "B", "B − A"]  # the sides named above it
    expect(page.get_by_text("A = baseline; B = deliberation_rewrites")).to_be_visible()
    cells = grid_texts(page, "gridcell")
    families = [cells[i] for i in range(0, len(cells), len(cells) // 3)]
    assert sorted(families[:2]) == ["blackmail", "leaking"] and families[2] == "all families (pooled)"
    assert any(c.endswith("(58/60)") for c in cells)  # every rate carries its n
    assert "▼ lower" in cells
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "compare.png")

    # Another section: its tab draws its charts and pins itself in the address bar and the share link.
    page.get_by_role("tab", name="Training").click()
    expect(page).to_have_url(re.compile(r"[?&]section=Training(&|$)"))
    wait_for_charts(page, count=2)
    expect(page.get_by_text("Gap B − A across training")).to_be_visible()
    wait_idle(page)
    assert query(page.url) == query(SHARED) | {"section": ["Training"]}
    expect_share_link(page)
    page.get_by_role("tab", name="Families").click()
    expect(page).not_to_have_url(re.compile(r"section="))
    wait_for_charts(page, count=2)
    expect(page.get_by_text("Change B − A per family")).to_be_visible()
    wait_idle(page)

    # Drill-down: A's transcripts in the top family at the exact checkpoint.
    page.get_by_role("button", name="A: atlas-2026-05 · baseline · RL step 1,000").click()
    expect(page).to_have_url(re.compile(r"/transcripts\?.*intervention="), timeout=FIRST_RENDER_TIMEOUT)
    shown = expect_query(
        page, {"snapshot": ["atlas-2026-05"], "intervention": ["baseline"], "stage": ["rl"], "step": ["1000"]}
    )
    assert shown["family"][0] in {"blackmail", "leaking"}


def test_cold_deep_link_runs_the_entrypoint(serve_app, page: Page):
    # A new server nobody has visited yet: Streamlit would serve /compare from the pages/ folder without app.py
    # (its legacy mode) but for session.ensure_entrypoint().
    page.goto(serve_app() + SHARED)
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("Filters")).to_be_visible(timeout=10_000)
