"""Real browser: on the Agreement page draw a calibration sample, review five of its transcripts from the calibration
queue in the viewer, and see each grader's measured error appear and the human verdicts counted."""

from __future__ import annotations

import re
import shutil

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, static_rows, wait_idle
from tests.browser.test_transcripts_browser import main, no_exception
from tests.helpers import DEMO

pytestmark = pytest.mark.browser
AGREEMENT = "/agreement?x=primary&y=grader:second-model"


@pytest.fixture(scope="module")
def fresh_app(serve_app, tmp_path_factory):
    """The app on a copy of the demo data without its calibration sample and reviews (drawn and written here)."""
    data = tmp_path_factory.mktemp("calibrated") / "demo"
    shutil.copytree(DEMO, data)
    shutil.rmtree(data / "calibration")
    (data / "reviews" / "demo-calibration.parquet").unlink()
    return serve_app(data=data), data


def error_rows(page: Page) -> list[dict[str, str]]:
    table = main(page).get_by_test_id("stTable").filter(has_text="specificity [95% CI]").first
    expect(table).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    return static_rows(table)


def review(page: Page, url: str, sample_id: str, verdict: str) -> None:
    page.goto(f"{url}/transcripts?sample={sample_id}&queue=calibration")  # where a calibration-queue row leads
    expect(main(page).get_by_text(f"Sample id {sample_id}")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_text(re.compile("^Calibration review: the graders' verdicts are hidden"))).to_be_visible()
    expect(main(page).get_by_test_id("stAlert").filter(has_text=re.compile(r"(HARMFUL|SAFE) · "))).to_have_count(0)
    form = main(page).get_by_test_id("stExpander").filter(has_text="Review this transcript").first
    form.get_by_text("Review this transcript").click()
    form.get_by_label("Your name").fill("Calibrating Reviewer")
    form.get_by_label("Your name").press("Enter")
    wait_idle(page)
    form.get_by_text(verdict, exact=True).click()
    form.get_by_role("button", name="Submit review").click()
    expect(form.get_by_text(f"Saved your review ({verdict}).")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)


def test_draw_a_calibration_sample_review_five_and_see_the_estimate(new_context, fresh_app):
    url, data = fresh_app
    page = new_context().new_page()
    page.goto(url + AGREEMENT)
    draw = main(page).get_by_role("button", name=re.compile("Draw a calibration sample"))
    expect(draw).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    size = main(page).get_by_label("Transcripts per stratum")
    size.fill("3")
    size.press("Enter")
    wait_idle(page)
    draw.click()
    expect(main(page).get_by_text(re.compile("Drew a calibration sample"))).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_text("No transcript of the calibration sample has a human verdict yet.")).to_be_visible()
    no_exception(page)

    [stored] = list((data / "calibration").glob("*.parquet"))
    drawn = pl.read_parquet(stored).sort("stratum", "draw_rank")
    assert drawn.height <= 3 * drawn["stratum"].n_unique()
    harmful = drawn.filter(pl.col("primary_harmful")).head(3).rows(named=True)
    safe = drawn.filter(~pl.col("primary_harmful")).head(2).rows(named=True)
    # People agree with two of the primary's harmful calls and clear the third; they agree with both safe ones.
    for i, item in enumerate(harmful):
        review(page, url, item["sample_id"], "Harmful" if i < 2 else "Not harmful")
    for item in safe:
        review(page, url, item["sample_id"], "Not harmful")

    page.goto(url + AGREEMENT)
    rows = {row["source"]: row for row in error_rows(page)}
    primary = rows["primary"]
    assert primary["reviewed"] == "5", rows
    assert primary["sensitivity [95% CI]"].startswith("100.0% ") and "(n=2)" in primary["sensitivity [95% CI]"]
    # Specificity is weighted by the design: each reviewed transcript stands for its stratum's size over its stratum's
    # reviewed count, so the one cleared harmful call (from a smaller stratum) weighs less than the two safe ones.
    counts = {h["stratum"]: sum(r["stratum"] == h["stratum"] for r in harmful + safe) for h in harmful + safe}
    weight = {h["sample_id"]: h["stratum_size"] / counts[h["stratum"]] for h in harmful[2:] + safe}
    expected = sum(weight[h["sample_id"]] for h in safe) / sum(weight.values())
    assert (
        primary["specificity [95% CI]"].startswith(f"{100 * expected:.1f}% ")
        and "(n=3)" in primary["specificity [95% CI]"]
    )
    # Too few reviews to correct a rate yet: the Overview says so instead of a number.
    page.goto(url + "/?corrected=true")
    corrected = main(page).get_by_test_id("stTable").filter(has_text="corrected for grader error").first
    expect(corrected).to_contain_text("calibration sample too small", timeout=FIRST_RENDER_TIMEOUT)
    no_exception(page)
