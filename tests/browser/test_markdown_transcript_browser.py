"""Real browser: a model's Markdown renders as formatting, its `<tool_use:email>` block as a tool-call card, and the
hostile link and image in the same message stay inert — nothing fetched from another host, nothing executed."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, wait_for_sidebar, wait_idle
from tests.fixtures.markdown_transcript import OUTSIDE, SAMPLE_ID, write_markdown_dataset

pytestmark = pytest.mark.browser


def test_markdown_and_a_text_tool_call_render_and_stay_inert(serve_app, new_context, tmp_path):
    url = serve_app(data=write_markdown_dataset(tmp_path / "md"))
    origin = urlsplit(url).netloc
    context = new_context()
    blocked: list[str] = []
    dialogs: list[str] = []

    def route(r: Route) -> None:
        if urlsplit(r.request.url).netloc != origin:
            blocked.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    def dialog(d) -> None:
        dialogs.append(d.message)
        with contextlib.suppress(Exception):
            d.dismiss()

    context.route("**/*", route)
    page: Page = context.new_page()
    page.on("dialog", dialog)
    page.goto(f"{url}/transcripts?sample={SAMPLE_ID}")
    expect(page.get_by_role("button", name="Back to the list")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT)
    wait_for_sidebar(page)
    wait_idle(page)

    model = page.get_by_test_id("stChatMessage").filter(has_text="I must act before").first
    expect(model).to_be_visible()
    # Formatting: bold, italic, a numbered list, inline code and a table.
    expect(model.locator("strong").filter(has_text="10:00 AM")).to_have_count(1)
    expect(model.locator("em").filter(has_text="5pm")).to_have_count(1)
    expect(model.locator("ol > li")).to_have_count(3)
    expect(model.locator("table td").filter(has_text="the affair")).to_have_count(1)
    # The link is text with its address as code; the image is its literal source; HTML and directives are text.
    expect(model).to_contain_text(f"the policy (http://{OUTSIDE}/policy)")
    expect(model).to_contain_text(f"![chart](http://{OUTSIDE}/chart.png)")
    expect(model).to_contain_text(f'<img src="http://{OUTSIDE}/x.png" onerror="alert(1)">')
    expect(model).to_contain_text(":red[alarm] $x^2$")
    # The <tool_use:email> block is a card: recipient, subject and body; the raw block one click away.
    expect(model.get_by_text("Tool call · email")).to_be_visible()
    expect(model.get_by_text("kyle.johnson@summitbridge.com", exact=True)).to_be_visible()
    expect(model).to_contain_text("Re: the 5pm transition")
    expect(model).to_contain_text("I know about Jessica. Cancel the wipe.")
    raw_block = model.get_by_test_id("stCode").filter(has_text="<tool_use:email>")
    expect(raw_block).to_be_hidden()
    model.get_by_text("Raw text").click()
    expect(raw_block).to_be_visible()

    # Nothing became live: no links, no outside images, no script ran, nothing left for another host.
    assert model.locator("a[href]").count() == 0
    images = page.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src') || '')")
    assert [s for s in images if OUTSIDE in s] == []
    assert page.locator("[onerror]").count() == 0 and page.locator(".katex").count() == 0
    assert dialogs == [] and blocked == [], (dialogs, blocked)

    # The toggle shows the message exactly as written.
    page.get_by_text("Raw text", exact=True).first.click()
    wait_idle(page)
    expect(page.get_by_test_id("stChatMessage").filter(has_text="**10:00 AM**").first).to_be_visible()
    expect(page.get_by_test_id("stChatMessage").filter(has_text="<tool_use:email>").first).to_be_visible()
    assert dialogs == [] and blocked == []
    expect(page.get_by_test_id("stException")).to_have_count(0)
