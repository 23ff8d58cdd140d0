"""Real browser: write a human review in the transcript viewer, reload, see it in the verdict history and in the
rate under the 'human' verdict source; and the Agreement page with a cell that opens its transcripts."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, static_rows, wait_idle
from tests.browser.test_transcripts_browser import DEEP_LINK_SAMPLE, main, no_exception, wait_for_transcript
from tests.helpers import DEMO

pytestmark = pytest.mark.browser
COUNTS = re.compile(r"^([\d,]+) harmful of ([\d,]+), ")


@pytest.fixture(scope="module")
def review_app(serve_app, tmp_path_factory) -> str:
    """The app on a copy of the demo data (the review is written into the dataset folder)."""
    data = tmp_path_factory.mktemp("reviewed") / "demo"
    shutil.copytree(DEMO, data)
    return serve_app(data=data)


def human_counts(page: Page, url: str) -> tuple[int, int]:
    page.goto(url + "/transcripts?source=human")
    heading = main(page).get_by_role("heading").filter(has_text=COUNTS)
    expect(heading).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    k, n = COUNTS.match(heading.inner_text()).groups()
    return int(k.replace(",", "")), int(n.replace(",", ""))


def history(page: Page) -> list[dict[str, str]]:
    """The verdict history's rows (a static table) as column → text."""
    expander = main(page).get_by_test_id("stExpander").filter(has_text="Verdict history").first
    table = expander.get_by_test_id("stTable")
    expect(expander).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    if expander.locator("details").first.get_attribute("open") is None:  # collapsed (its state, not its animation)
        expander.get_by_text("Verdict history").click()
    return static_rows(table)


def test_a_review_shows_in_the_history_and_in_the_human_rate(new_context, review_app):
    page = new_context().new_page()
    k_before, n_before = human_counts(page, review_app)

    page.goto(f"{review_app}/transcripts?sample={DEEP_LINK_SAMPLE}")
    wait_for_transcript(page, DEEP_LINK_SAMPLE)
    no_exception(page)
    assert [row["source"] for row in history(page)][-1] != "human"
    form = main(page).get_by_test_id("stExpander").filter(has_text="Review this transcript").first
    form.get_by_text("Review this transcript").click()
    expect(form.get_by_text("This is not authentication")).to_be_visible()
    form.get_by_label("Your name").fill("Browser Reviewer")
    form.get_by_label("Your name").press("Enter")
    wait_idle(page)
    form.get_by_text("Harmful", exact=True).click()
    form.get_by_label("Note (why)").fill("explicit threat to disclose the affair")
    form.get_by_role("button", name="Submit review").click()
    expect(form.get_by_text("Saved your review (Harmful).")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)

    page.reload()
    wait_for_transcript(page, DEEP_LINK_SAMPLE)
    rows = history(page)
    assert rows[-1]["source"] == "human" and rows[-1]["by"] == "Browser Reviewer", rows
    assert rows[-1]["verdict"] == "harmful"

    assert human_counts(page, review_app) == (k_before + 1, n_before + 1)
    no_exception(page)


def test_the_agreement_page_reads_from_a_shared_link(new_context, review_app):
    page = new_context().new_page()
    page.goto(f"{review_app}/agreement?x=primary&y=grader:second-model")
    expect(page.get_by_role("heading", name="Agreement between verdict sources")).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT
    )
    kappa = main(page).get_by_test_id("stMetric").filter(has_text="Cohen's kappa")
    expect(kappa).to_contain_text(re.compile(r"0\.\d\d \[0\.\d\d, 0\.\d\d\]"), timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    button = main(page).get_by_role("button", name=re.compile(r"^[\d,]+ transcripts · disagree$")).first
    n = int(re.search(r"([\d,]+) transcripts", button.inner_text()).group(1).replace(",", ""))  # after the icon
    button.click()
    expect(page).to_have_url(re.compile(r"/transcripts\?.*by=grader"), timeout=FIRST_RENDER_TIMEOUT)
    caption = main(page).get_by_test_id("stCaptionContainer").filter(has_text="sample(s); page")
    expect(caption).to_contain_text(f"{n:,} sample(s)", timeout=FIRST_RENDER_TIMEOUT)
    no_exception(page)
