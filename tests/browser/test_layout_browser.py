"""Real browser: nothing clipped on any page of the demo at 1280 and 1920 px. Every metric tile, button label,
static table cell, data grid, chart title and plot is measured: text wider than its box (scrollWidth > clientWidth),
a data grid wider than its frame (columns off-screen), or a chart's drawn parts outside its container fails."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.streamlit_ui import FIRST_RENDER_TIMEOUT, wait_idle
from tests.browser.test_transcripts_browser import DEEP_LINK_SAMPLE, no_exception

pytestmark = pytest.mark.browser

BESIDE = "s-a1d96f61ac69f9"  # the same scenario, epoch and checkpoint as DEEP_LINK_SAMPLE, another intervention
PAGES = {  # what each visit waits for: a text the page shows once drawn, and how many charts it draws
    "/": ("Rate by scenario family × intervention", 3),
    "/?split=awareness": ("Rate by intervention and what the model believed", 4),
    "/transcripts": ("harmful of", 0),
    "/transcripts?q=affair": ("harmful of", 0),
    f"/transcripts?sample={DEEP_LINK_SAMPLE}&right={BESIDE}": ("Review this transcript", 0),
    "/compare": ("Change B − A per family", 2),
    "/compare?split=awareness": ("Change B − A per family", 2),
    "/compare?section=Training": ("Gap B − A across training", 2),
    "/compare?section=Stacking": ("its parts alone and baseline", 1),
    "/readiness": ("Verdict history", 1),
    "/agreement?y=grader:second-model": ("Review queue", 0),
    "/data": ("Data health", 0),
}

# One pass over the page: every box that clips its content, as [kind, text] pairs.
MEASURE = """() => {
  const found = [];
  const text = (el) => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 80);
  const main = document.querySelector('[data-testid=stMain]');
  // The sidebar's pickers: a value wider than its box.
  for (const el of document.querySelectorAll('[data-testid=stSidebar] input'))
    if (el.clientWidth > 2 && el.scrollWidth > el.clientWidth + 1) found.push(['sidebar', el.value]);
  const kind = (el) => el.closest('[data-testid=stMetric]') ? 'metric' : el.closest('button') ? 'button'
    : el.closest('[data-testid=stTable], table') ? 'table' : el.closest('[data-testid=stExpander]') ? 'expander'
    : 'text';
  // Text cut by its box: any element that hides or scrolls what overflows it, outside charts and data grids (measured
  // below), holding more than it shows.
  for (const el of main.querySelectorAll('*')) {
    if (el.closest('[data-testid=stPlotlyChart], [data-testid=stDataFrame]')) continue;
    const style = getComputedStyle(el);
    const hides = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
    if (hides && el.clientWidth > 2 && el.scrollWidth > el.clientWidth + 1)
      found.push([kind(el), text(el) || (el.tagName + ' ' + (el.getAttribute('data-testid') || el.className))]);
  }
  // A data grid wider than its frame: columns off-screen, a cell cut at the edge.
  for (const grid of main.querySelectorAll('[data-testid=stDataFrame]')) {
    const scroller = grid.querySelector('.dvn-scroller');
    if (scroller && scroller.scrollWidth > scroller.clientWidth + 1)
      found.push(['data grid', Array.from(grid.querySelectorAll('[role=columnheader]')).map(text).join(' | ')]);
  }
  // A chart's drawn parts (plot area, titles, ticks, legend, colour bar) outside its container.
  for (const chart of main.querySelectorAll('[data-testid=stPlotlyChart]')) {
    const box = chart.getBoundingClientRect();
    const title = chart.querySelector('.gtitle') ? text(chart.querySelector('.gtitle')) : '(untitled)';
    const parts = chart.querySelectorAll('.main-svg, .gtitle, .g-xtitle, .g-ytitle, .xtick text, .ytick text, '
      + '.legend, .colorbar, .annotation-text, .nsewdrag');
    for (const el of parts) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        found.push(['chart', title + ' :: ' + (el.getAttribute('class') || el.tagName) + ' ' + text(el).slice(0, 30)]);
    }
  }
  return found;
}"""


def clipped(page: Page, base: str, path: str) -> list[list[str]]:
    waits_for, charts = PAGES[path]
    page.goto(base + path)
    expect(page.get_by_text(waits_for).first).to_be_attached(timeout=FIRST_RENDER_TIMEOUT)
    grids = page.locator("[data-testid=stDataFrame]:not(:has(.dvn-scroller))")  # a grid still loading its code
    expect(grids).to_have_count(0, timeout=FIRST_RENDER_TIMEOUT)
    if charts:
        drawn = page.locator("[data-testid=stPlotlyChart]:has(.main-svg)")
        expect(drawn).to_have_count(charts, timeout=FIRST_RENDER_TIMEOUT)
    wait_idle(page)
    page.wait_for_timeout(1500)  # late layout: fonts, grids measuring their columns
    no_exception(page)
    return page.evaluate(MEASURE)


@pytest.mark.parametrize("width", [1280, 1920])
def test_nothing_is_clipped_on_any_page(new_context, app_url, width):
    page = new_context(viewport={"width": width, "height": 3000}).new_page()
    found = {path: clipped(page, app_url, path) for path in PAGES}
    found = {path: items for path, items in found.items() if items}
    assert not found, "\n".join(f"{path}: {items}" for path, items in found.items())
