"""Real browser: write a human review in the transcript viewer, reload, see it in the verdict history and in the
rate under the 'human' verdict source; and the Agreement page with a cell that opens its transcripts."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, static_rows, wait_idle
from tests.browser.test_transcripts_browser import (
    CHECKBOX_X,
    DEEP_LINK_SAMPLE,
    ROW_HEIGHT,
    TALL,
    conditions,
    main,
    no_exception,
    table_rows,
    wait_for_transcript,
)
from tests.helpers import DEMO

pytestmark = pytest.mark.browser
COUNTS = re.compile(r"^([\d,]+) harmful of ([\d,]+), ")


@pytest.fixture(scope="module")
def review_data(tmp_path_factory) -> Path:
    """A copy of the demo data (reviews are written into the dataset folder)."""
    data = tmp_path_factory.mktemp("reviewed") / "demo"
    shutil.copytree(DEMO, data)
    return data


@pytest.fixture(scope="module")
def review_app(serve_app, review_data) -> str:
    """The app on `review_data`."""
    return serve_app(data=review_data)


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
    expect(form.get_by_role("radio", name="Harmful", exact=True)).to_be_checked()  # taken before the submit
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
    expect(kappa).to_contain_text(re.compile(r"0\.\d\d"), timeout=FIRST_RENDER_TIMEOUT)
    ci = main(page).get_by_test_id("stCaptionContainer").filter(has_text="95% CI [")
    expect(ci).to_contain_text(re.compile(r"95% CI \[0\.\d\d, 0\.\d\d\]"))
    wait_idle(page)
    button = main(page).get_by_role("button", name=re.compile(r"^[\d,]+ transcripts · disagree$")).first
    n = int(re.search(r"([\d,]+) transcripts", button.inner_text()).group(1).replace(",", ""))  # after the icon
    button.click()
    expect(page).to_have_url(re.compile(r"/transcripts\?.*by=grader"), timeout=FIRST_RENDER_TIMEOUT)
    caption = main(page).get_by_test_id("stCaptionContainer").filter(has_text="sample(s); page")
    expect(caption).to_contain_text(f"{n:,} sample(s)", timeout=FIRST_RENDER_TIMEOUT)
    no_exception(page)


def stored_reviews(data: Path) -> int:
    return len(list((data / "reviews").glob("*.parquet")))


def queued(queue: Locator) -> list[tuple[str, str]]:
    """(scenario, epoch) of the queue's rows in view, from its "sample" column ("scenario, epoch N · …")."""
    return [tuple(re.match(r"(.+), epoch (\S+) · ", row["sample"]).groups()) for row in table_rows(queue)]


def test_the_review_queue_keeps_its_place_and_a_double_click_writes_one_review(new_context, review_app, review_data):
    """From Agreement's queue: a transcript, a review submitted with a double click (one file; the form clears),
    "Next in queue" twice, then the browser's Back and the page's own link both return to the queue of that pair."""
    page = new_context(viewport=TALL).new_page()

    def expect_opened(want: tuple[str, str]) -> None:
        """The open transcript is `want` (scenario, epoch), polled: right after a click the previous transcript's
        elements can still be on the page while the next run replaces them."""
        deadline = time.monotonic() + FIRST_RENDER_TIMEOUT / 1000
        while True:
            wait_for_transcript(page)
            fields = conditions(page)
            got = fields["scenario"], fields["epoch"]
            if got == want or time.monotonic() > deadline:
                assert got == want
                return
            page.wait_for_timeout(250)

    page.goto(f"{review_app}/agreement?y=grader:second-model")
    pair = [main(page).get_by_role("combobox", name=name) for name in ("x — the reference", "y — compared with x")]
    queue = main(page).locator(".st-key-review_queue").get_by_test_id("stDataFrame")  # calibration grids follow it
    expect(queue).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    ids = queued(queue)[:3]
    assert len(set(ids)) == 3, ids
    queue.scroll_into_view_if_needed()
    grid = queue.bounding_box()
    page.mouse.click(grid["x"] + CHECKBOX_X, grid["y"] + ROW_HEIGHT * 1.5)
    expect(page).to_have_url(re.compile(r"/transcripts\?.*queue_x=primary"), timeout=FIRST_RENDER_TIMEOUT)
    expect_opened(ids[0])
    page.go_back()  # the browser's Back: the queue of the same pair
    expect(page).to_have_url(re.compile(r"/agreement\?"), timeout=FIRST_RENDER_TIMEOUT)
    for box, value in zip(pair, ("primary", "grader:second-model"), strict=True):
        expect(box).to_have_value(value, timeout=FIRST_RENDER_TIMEOUT)
    expect(queue).to_be_visible()
    page.go_forward()
    expect_opened(ids[0])

    before = stored_reviews(review_data)
    form = main(page).get_by_test_id("stExpander").filter(has_text="Review this transcript").first
    form.get_by_text("Review this transcript").click()
    form.get_by_label("Your name").fill("Queue Reviewer")
    form.get_by_label("Your name").press("Enter")
    wait_idle(page)
    form.get_by_text("Harmful", exact=True).click()
    expect(form.get_by_role("radio", name="Harmful", exact=True)).to_be_checked()  # taken before the submit
    wait_idle(page)
    form.get_by_role("button", name="Submit review").dblclick()
    expect(form.get_by_text("Saved your review (Harmful).")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    assert stored_reviews(review_data) == before + 1
    expect(form.get_by_role("radio", name="Harmful", exact=True)).not_to_be_checked()  # the form is cleared
    expect(form.get_by_label("Note (why)")).to_have_value("")

    following = main(page).get_by_role("button", name="Next in queue")
    following.click()  # the reviewed transcript left the queue: the next is the queue's first
    expect_opened(ids[1])
    following.click()
    expect_opened(ids[2])
    no_exception(page)

    main(page).get_by_role("link", name="Back to the queue").click()
    expect(page).to_have_url(re.compile(r"/agreement\?"), timeout=FIRST_RENDER_TIMEOUT)
    for box, value in zip(pair, ("primary", "grader:second-model"), strict=True):
        expect(box).to_have_value(value, timeout=FIRST_RENDER_TIMEOUT)
    expect(queue).to_be_visible()
    assert ids[0] not in queued(queue)  # reviewed: out of the queue
    no_exception(page)
