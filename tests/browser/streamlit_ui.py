"""Reading a served Streamlit page: waits that fit a loaded 2-core machine, chart labels, widget values."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

CHARTS = "[data-testid=stPlotlyChart]"
FIRST_RENDER_TIMEOUT = 90_000  # ms: a cold server + Plotly's bundle on 2 busy cores took ~20 s in practice


def charts(page: Page) -> Locator:
    return page.locator(CHARTS)


def wait_for_charts(page: Page, count: int = 3, timeout: float = FIRST_RENDER_TIMEOUT) -> Locator:
    """Wait until `count` Plotly charts have drawn their SVG, and no more are pending."""
    drawn = page.locator(f"{CHARTS}:has(.main-svg)")
    expect(drawn).to_have_count(count, timeout=timeout)
    expect(charts(page)).to_have_count(count)
    return charts(page)


def wait_idle(page: Page, timeout: float = FIRST_RENDER_TIMEOUT) -> None:
    """The status widget shows "Running" while the script runs and is absent when idle."""
    expect(page.locator('[data-testid="stStatusWidget"]:has-text("Running")')).to_have_count(0, timeout=timeout)


def tick_labels(chart: Locator, axis: str) -> list[str]:
    """The first line of each tick label (`baseline<br>n=420` → `baseline`), in drawing order."""
    return chart.locator(f".{axis}tick text").evaluate_all(
        "els => els.map(e => (e.getAttribute('data-unformatted') || e.textContent).split('<br>')[0])"
    )


def legend(chart: Locator) -> list[str]:
    return chart.locator(".legendtext").all_text_contents()


def wait_for_sidebar(page: Page, filters: int = 5, timeout: float = FIRST_RENDER_TIMEOUT) -> None:
    """Widgets are drawn by lazily loaded JS chunks: under load they can appear seconds after the page's
    script has finished, so wait for them explicitly (an idle status widget is not enough)."""
    expect(page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]")).to_have_count(filters, timeout=timeout)


def expect_selected(page: Page, label: str, values: list[str]) -> None:
    expect(multiselect(page, label)).to_be_visible()
    expect(multiselect(page, label).locator("[data-tag] span[title]")).to_have_text(values)


def multiselect(page: Page, label: str) -> Locator:
    return page.locator("[data-testid=stMultiSelect]").filter(has=page.get_by_role("combobox", name=label, exact=True))


def selected(page: Page, label: str) -> list[str]:
    """The values a sidebar multiselect shows as tags."""
    return multiselect(page, label).locator("[data-tag] span[title]").all_text_contents()


def query(url: str) -> dict[str, list[str]]:
    """A URL's query as key → sorted values (order of keys and repeats does not change the view)."""
    return {k: sorted(v) for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def share_link(page: Page) -> str:
    """Open the sidebar's "Share this view" expander and read the link it shows."""
    sidebar = page.get_by_test_id("stSidebar")
    code = sidebar.get_by_test_id("stCode")
    if not code.is_visible():
        sidebar.get_by_text("Share this view").click()
    expect(code).to_be_visible()
    return code.inner_text().strip()


def expect_query(page: Page, expected: dict[str, list[str]], timeout: float = 30.0) -> dict[str, list[str]]:
    """The address bar's query holds `expected` (key → sorted values; other keys may be there too) within `timeout`
    seconds; returns the whole query. After a page switch the page's own keys arrive first and the bound sidebar
    filters a moment later, so one read of `page.url` can miss some."""
    deadline = time.monotonic() + timeout
    while True:
        got = query(page.url)
        if all(got.get(key) == sorted(values) for key, values in expected.items()) or time.monotonic() > deadline:
            assert {key: got.get(key) for key in expected} == {key: sorted(v) for key, v in expected.items()}
            return got
        page.wait_for_timeout(200)


def expect_share_link(page: Page, expected: dict[str, list[str]] | None = None, timeout: float = 20.0) -> None:
    """The share link's query equals `expected` (default: the address bar's) within `timeout` seconds.

    The link's code block is a sidebar element: after a rerun it can still show the previous run's text for a
    moment while the script is replaced element by element, so it is polled, not read once."""
    deadline = time.monotonic() + timeout
    while True:
        want = query(page.url) if expected is None else expected
        got = query(share_link(page))
        if got == want or time.monotonic() > deadline:
            assert got == want
            return
        page.wait_for_timeout(200)


def static_rows(table: Locator) -> list[dict[str, str]]:
    """The rows of a static table (`st.table`) as column → text, its header row giving the names."""
    expect(table).to_be_visible()
    names = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    return [
        dict(zip(names, (t.strip() for t in row.locator("th, td").all_inner_texts()), strict=False))
        for row in table.locator("tbody tr").all()
    ]
