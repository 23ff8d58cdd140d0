"""Time to the Overview's charts in a real browser, against an empty Streamlit page on the same machine.

    python bench/browser.py                                  # embedded demo data, 5 warm runs each
    python bench/browser.py --data bench/out/synthetic-1000000 --runs 7

Two servers run side by side: `app.py` (on `--data` if given) and a temporary one-line app that only
calls `st.title("empty")`. Headless Debian chromium (/usr/bin/chromium) opens each URL in a fresh tab
of one warm browser context (HTTP cache and server caches filled by one unmeasured visit each), and
the page itself records `performance.now()` (milliseconds since navigation start) when:
  - Overview: all three `[data-testid=stPlotlyChart]` hold a drawn `.main-svg`;
  - empty page: its title is in the DOM.
Runs alternate between the pages so that background load hits them alike. Prints the medians and the
difference; the target (bench/README.md) is charts within 1.5 s of the empty page.

`--plotly-reference` adds a third page with three trivial 3-bar Plotly charts: it separates what
Plotly's own bundle costs in this browser from what the Overview's figures and queries add.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from a checkout: the served-app harness is shared with tests/
from tests.harness import CHROMIUM, CHROMIUM_ARGS, AppServer  # noqa: E402

TARGET_S = 1.5
CHARTS_DRAWN = """() => document.querySelectorAll('[data-testid=stPlotlyChart]:has(.main-svg)').length >= 3
    ? performance.now() : false"""
PLOTLY_REFERENCE = """import plotly.graph_objects as go
import streamlit as st

st.title("plotly reference")
for i in range(3):
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[1, 2, 3])), key=f"chart{i}")
"""
TITLE_DRAWN = """() => [...document.querySelectorAll('h1')].some(h => h.textContent.includes('empty'))
    ? performance.now() : false"""


@contextmanager
def streamlit(script: Path, data: Path | None = None, timeout: float = 120):
    """Serve `script` on a free loopback port (tests/harness.py); yields the base URL."""
    try:
        server = AppServer(script, data, timeout=timeout)
    except RuntimeError as exc:
        sys.exit(f"streamlit {script} did not start:\n{exc}")
    with server:
        yield server.url


def time_to(context, url: str, predicate: str, timeout_ms: float) -> float:
    """Seconds from navigation start until `predicate` holds, measured by the page's own clock."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit")
        return page.wait_for_function(predicate, polling="raf", timeout=timeout_ms).json_value() / 1000
    except PlaywrightTimeoutError:
        shown = page.locator("[data-testid=stMain]").inner_text(timeout=5000) if page.locator("body").count() else ""
        sys.exit(f"{url}: not drawn within {timeout_ms / 1000:.0f} s. The page shows:\n{shown[:2000]}")
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="dataset folder for app.py (default: the embedded demo data)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per page (default 5)")
    parser.add_argument("--plotly-reference", action="store_true", help="also time a page of 3 trivial charts")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for one page (default 120)")
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="evalboard-empty-")))
        (tmp / "empty.py").write_text('import streamlit as st\n\nst.title("empty")\n')
        (tmp / "plotly3.py").write_text(PLOTLY_REFERENCE)
        app = stack.enter_context(streamlit(REPO / "app.py", args.data))
        empty = stack.enter_context(streamlit(tmp / "empty.py"))
        plotly3 = stack.enter_context(streamlit(tmp / "plotly3.py")) if args.plotly_reference else None
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 1400, "height": 1200})
        pages = {"empty page (title)": (empty + "/", TITLE_DRAWN), "Overview (3 charts)": (app + "/", CHARTS_DRAWN)}
        if plotly3:
            pages["3 trivial Plotly charts"] = (plotly3 + "/", CHARTS_DRAWN)
        times: dict[str, list[float]] = {name: [] for name in pages}
        timeout_ms = args.timeout * 1000
        for url, predicate in pages.values():  # warm-up: server caches, HTTP cache, JS chunks
            time_to(context, url, predicate, timeout_ms)
        for run in range(args.runs):
            for name, (url, predicate) in pages.items():
                times[name].append(time_to(context, url, predicate, timeout_ms))
            print(f"run {run + 1}: " + ", ".join(f"{name} {t[-1]:.2f} s" for name, t in times.items()), flush=True)

    data = args.data or "data/demo (embedded demo)"
    print(f"\ndataset: {data}; chromium headless; {args.runs} warm runs each; {os.cpu_count()} cores")
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"  {name:<24} median {medians[name]:6.2f} s   (min {min(t):.2f}, max {max(t):.2f})")
    diff = medians["Overview (3 charts)"] - medians["empty page (title)"]
    verdict = "meets" if diff <= TARGET_S else "MISSES"
    print(f"  {'Overview - empty page':<24} {diff:+13.2f} s   {verdict} the target (≤ {TARGET_S} s)")
    if plotly3:
        extra = medians["Overview (3 charts)"] - medians["3 trivial Plotly charts"]
        print(f"  {'Overview - trivial charts':<24} {extra:+13.2f} s   (what the Overview adds beyond Plotly itself)")
    try:
        load = os.getloadavg()[0]
        print(f"  load average (1 min) at the end: {load:.1f}")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
