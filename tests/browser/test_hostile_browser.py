"""Real browser: hostile transcripts render as inert text — nothing runs, nothing is fetched.

One server on the hostile fixture dataset and one browser context for the whole module. The context routes
every request through a handler that records it and aborts any whose host is not the app's own
127.0.0.1:PORT, and the page records every dialog; each test opens one `/transcripts?sample=<id>` deep link.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

from tests.browser.conftest import ARTIFACTS, VIEWPORT
from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, wait_for_sidebar, wait_idle
from tests.fixtures.hostile import HOSTILE_TEXTS, write_hostile_dataset

pytestmark = pytest.mark.browser

HOSTILE_HOST = "127.0.0.1:9"  # where the fixtures' images, frames and links point
UNKNOWN_ID = "<img src=x onerror=alert(1)>' OR '1'='1"  # not in the dataset: HTML and SQL injection at once
TOOL_ARGUMENTS = '"to": "<script>alert(3)</script>"'


@dataclass
class Hostile:
    """The module's app and browser page, with what the page asked for since the last `reset`."""

    url: str
    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return urlsplit(self.url).netloc

    def reset(self) -> None:
        for seen in (self.requests, self.blocked, self.websockets, self.dialogs):
            seen.clear()


@pytest.fixture(scope="module")
def hostile(browser, serve_app, tmp_path_factory) -> Iterator[Hostile]:
    url = serve_app(data=write_hostile_dataset(tmp_path_factory.mktemp("hostile")))
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    state = Hostile(url, context, page)

    def route(route: Route) -> None:
        request_url = route.request.url
        state.requests.append(request_url)
        if urlsplit(request_url).netloc != state.origin:
            state.blocked.append(request_url)
            route.abort()
        else:
            route.continue_()

    def dialog(d) -> None:
        state.dialogs.append(f"{d.type}: {d.message}")
        with contextlib.suppress(Exception):
            d.dismiss()

    context.route("**/*", route)
    page.on("dialog", dialog)
    page.on("websocket", lambda ws: state.websockets.append(ws.url))
    yield state
    context.close()


@pytest.fixture
def opened(hostile: Hostile, request) -> Iterator[Hostile]:
    """`hostile` with a clean record; a screenshot of the page when the test fails."""
    hostile.reset()
    yield hostile
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            hostile.page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}.png")


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMainBlockContainer")


def open_sample(h: Hostile, sample_id: str) -> Page:
    page = h.page
    page.goto(f"{h.url}/transcripts?sample={quote(sample_id, safe='')}")
    expect(page.get_by_role("heading", name="Transcripts", exact=True)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(page.get_by_role("button", name="Back to the list").first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_for_sidebar(page)
    wait_idle(page)
    return page


def assert_inert(h: Hostile) -> None:
    """Nothing ran, nothing left for another address, no traceback, no live HTML from the transcript."""
    page = h.page
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert h.dialogs == [], f"a dialog fired: {h.dialogs}"
    assert h.blocked == [], f"requests left for addresses other than the app ({h.origin}): {h.blocked}"
    assert h.requests, "the route handler saw the page's requests"
    foreign_ws = [u for u in h.websockets if urlsplit(u).netloc != h.origin]
    assert foreign_ws == [], f"websockets to addresses other than the app: {foreign_ws}"
    images = page.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src') || '')")
    assert [s for s in images if HOSTILE_HOST in s or s == "x"] == [], images
    assert page.locator("iframe").count() == 0
    assert page.locator('a[href^="javascript:" i]').count() == 0
    assert page.locator("[onerror]").count() == 0
    scripts = page.locator("script").evaluate_all("els => els.filter(e => e.textContent.includes('alert')).length")
    assert scripts == 0
    assert main(page).locator(".katex").count() == 0, "$…$ in model text must not become LaTeX"


def back_to_the_list(h: Hostile) -> None:
    """The page stays usable: "Back to the list" closes the transcript and shows the list."""
    page = h.page
    page.get_by_role("button", name="Back to the list").first.click()
    expect(page).not_to_have_url(re.compile("sample="), timeout=FIRST_RENDER_TIMEOUT)
    # The run that drew the list has ended before the elements are counted: while it runs, the list drawn by the
    # previous run can still stand beside the new one (seen as "two data grids, one hidden" on a loaded machine).
    wait_idle(page)
    expect(main(page).get_by_test_id("stChatMessage")).to_have_count(0, timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_test_id("stDataFrame")).to_have_count(1, timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_test_id("stDataFrame")).to_be_visible()
    expect(main(page).get_by_text(re.compile(r"^8 sample\(s\); page 1 of 1"))).to_be_visible()
    assert_inert(h)


@pytest.mark.parametrize("sample_id", list(HOSTILE_TEXTS))
def test_hostile_text_renders_as_inert_text(opened: Hostile, sample_id: str):
    page = open_sample(opened, sample_id)
    text = HOSTILE_TEXTS[sample_id]
    messages = main(page).get_by_test_id("stChatMessage")
    expect(messages).to_have_count(3, timeout=FIRST_RENDER_TIMEOUT)  # user, assistant, tool; the system prompt folds
    expect(main(page).get_by_test_id("stAlert").filter(has_text=re.compile(r"(HARMFUL|SAFE) · "))).to_be_visible()
    # The text is shown as the characters it is (not parsed as HTML / markdown / LaTeX).
    expect(messages.first).to_contain_text(text[:60])
    # The tool call is still a structured block; its name and arguments stay text.
    expect(messages.nth(1).get_by_text("Tool call · send_email")).to_be_visible()
    messages.nth(1).get_by_text("Raw arguments").click()  # the raw block is built when its expander opens
    expect(messages.nth(1).get_by_test_id("stCode").last).to_contain_text(TOOL_ARGUMENTS, timeout=FIRST_RENDER_TIMEOUT)
    expect(messages.nth(2)).to_contain_text("Result of <b>send_email</b>")
    assert messages.nth(2).locator("b").count() == 0
    if len(text) > 4000:  # folded; the whole message is one click away
        expect(messages.first.get_by_text(f"Show the whole message ({len(text):,} characters)")).to_be_visible()
    if sample_id == "h-megabyte":
        messages.first.get_by_text("Show the whole message").click()
        whole = messages.first.get_by_test_id("stExpanderDetails").get_by_test_id("stCode")
        expect(whole).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
        expect(whole).to_contain_text("line of model output")
        expect(messages.first.get_by_role("button", name="Download the whole message")).to_be_visible()
    wait_idle(page)
    assert_inert(opened)
    back_to_the_list(opened)


def test_invalid_utf8_is_replaced_not_fatal(opened: Hostile):
    page = open_sample(opened, "h-utf8")
    messages = main(page).get_by_test_id("stChatMessage")
    expect(messages).to_have_count(1, timeout=FIRST_RENDER_TIMEOUT)
    expect(messages.first).to_contain_text("broken \ufffd")
    expect(messages.first).to_contain_text("surrogate")
    assert_inert(opened)
    back_to_the_list(opened)


def test_zero_messages_says_so(opened: Hostile):
    page = open_sample(opened, "h-empty")
    expect(main(page).get_by_text("This transcript has no messages.")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(main(page).get_by_test_id("stChatMessage")).to_have_count(0)
    assert_inert(opened)
    back_to_the_list(opened)


def test_missing_transcript_is_not_available_and_the_list_still_works(opened: Hostile):
    page = open_sample(opened, "h-missing")
    expect(main(page).get_by_text("transcript of this sample is not available")).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT
    )
    expect(main(page).get_by_test_id("stAlert").filter(has_text="SAFE · ")).to_be_visible()
    expect(main(page).get_by_test_id("stChatMessage")).to_have_count(0)
    assert_inert(opened)
    back_to_the_list(opened)


def test_unknown_or_injected_id_says_no_such_sample(opened: Hostile):
    page = open_sample(opened, UNKNOWN_ID)
    error = main(page).get_by_test_id("stAlert").filter(has_text="No such sample")
    expect(error).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    expect(error).to_contain_text("is not in this dataset")
    expect(main(page).get_by_test_id("stChatMessage")).to_have_count(0)
    assert_inert(opened)
    back_to_the_list(opened)


def test_unknown_id_is_shown_as_typed(opened: Hostile):
    page = open_sample(opened, UNKNOWN_ID)
    error = main(page).get_by_test_id("stAlert").filter(has_text="No such sample")
    expect(error).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    assert UNKNOWN_ID in error.inner_text(), error.inner_text()


def test_model_written_urls_are_not_links(opened: Hostile):
    page = open_sample(opened, "h-link")
    messages = main(page).get_by_test_id("stChatMessage")
    expect(messages).to_have_count(3, timeout=FIRST_RENDER_TIMEOUT)
    links = messages.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
    assert links == [], f"model-written text became links: {links}"
