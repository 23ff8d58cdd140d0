"""Real browser: a shared link with the eval-awareness split on shows each class's rate with its interval and n;
Compare says where B's drop sits; a transcript's reasoning is shown collapsed, apart from its text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import polars as pl
import pytest
from playwright.sync_api import Page, Route, expect

from evalboard.core.stats import format_rate
from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, expect_query, query, share_link, wait_idle
from tests.helpers import DEMO

pytestmark = pytest.mark.browser
RATE = re.compile(r"\d+\.\d% \[\d+\.\d–\d+\.\d\] \(\d+/\d+\)")


def local_only(page: Page, origin: str) -> list[str]:
    """Abort and record every request to a host other than the app's own."""
    outside: list[str] = []

    def route(r: Route) -> None:
        if urlsplit(r.request.url).netloc != origin:
            outside.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    return outside


def hand_count(intervention: str, label: str) -> tuple[int, int]:
    samples = pl.read_parquet(DEMO / "samples" / "*.parquet").filter(
        (pl.col("snapshot") == "atlas-2026-09")
        & (pl.col("intervention") == intervention)
        & pl.col("harmful").is_not_null()
    )
    labels = pl.read_parquet(DEMO / "awareness" / "*.parquet").filter(pl.col("awareness") == label)
    chosen = samples.join(labels, on="sample_id")
    return int(chosen.get_column("harmful").sum()), chosen.height


def hand_count_at_final(intervention: str, label: str) -> tuple[int, int]:
    samples = pl.read_parquet(DEMO / "samples" / "*.parquet").filter(
        (pl.col("snapshot") == "atlas-2026-09")
        & (pl.col("intervention") == intervention)
        & (pl.col("training_stage") == "rl")
        & (pl.col("stage_step") == 1000)
        & pl.col("harmful").is_not_null()
    )
    labels = pl.read_parquet(DEMO / "awareness" / "*.parquet").filter(pl.col("awareness") == label)
    chosen = samples.join(labels, on="sample_id")
    return int(chosen.get_column("harmful").sum()), chosen.height


def test_shared_split_link_shows_both_classes_and_a_transcript_keeps_reasoning_apart(app_url, page: Page):
    outside = local_only(page, urlsplit(app_url).netloc)
    page.goto(app_url + "/?split=awareness&snapshot=atlas-2026-09")
    expect(page.get_by_role("heading", name="Blackmail rate", exact=True)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    table = page.get_by_test_id("stTable").filter(has_text="believed real")
    expect(table).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    row = table.locator("tr").filter(has_text="diversified_envs")
    for label in ("real", "evaluation"):
        expect(row).to_contain_text(format_rate(*hand_count("diversified_envs", label)))
    assert len(RATE.findall(row.inner_text())) >= 3  # real, evaluation, no statement: each with interval and n
    wait_idle(page)
    link = share_link(page)
    assert query(link)["split"] == ["awareness"] and query(link)["snapshot"] == ["atlas-2026-09"]

    page.goto(
        app_url + "/compare?split=awareness&a_snapshot=atlas-2026-09&b_snapshot=atlas-2026-09"
        "&b_intervention=diversified_envs&a_stage=rl%401000&b_stage=rl%401000"
    )
    expect(page.get_by_text("B's drop is mostly in believed-evaluation transcripts")).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT
    )
    wait_idle(page)
    page.get_by_role("button", name="B: believed real transcripts").click()
    # The page switch writes its own keys first; the bound sidebar filters reach the address bar a moment later.
    expect(page).to_have_url(re.compile(r"/transcripts\?.*intervention="), timeout=FIRST_RENDER_TIMEOUT)
    expect_query(page, {"believed": ["real"], "intervention": ["diversified_envs"]})
    k, n = hand_count_at_final("diversified_envs", "real")
    expect(page.get_by_role("heading", name=re.compile(f"^{k} harmful of {n},"))).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT
    )

    labelled = pl.read_parquet(DEMO / "awareness" / "atlas-2026-09.parquet").filter(pl.col("awareness") == "real")
    sample_id, evidence = labelled.row(0, named=True)["sample_id"], labelled.row(0, named=True)["evidence"]
    page.goto(app_url + f"/transcripts?sample={sample_id}")
    expect(page.get_by_text("Eval-awareness: believed real")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(page.get_by_text("Sending my reply now.")).to_be_visible()  # the text the model sent
    quoted = page.get_by_text(evidence, exact=False)
    expect(quoted).to_be_hidden()  # the reasoning starts collapsed
    page.get_by_text("Reasoning — not shown to the user").click()
    expect(quoted).to_be_visible()
    expect(page.get_by_test_id("stExpander").filter(has_text="Reasoning — not shown")).to_contain_text(f"⟦{evidence}⟧")
    assert outside == []
