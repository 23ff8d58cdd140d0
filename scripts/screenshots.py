"""Refresh the README's pictures: serve the app on the demo data and photograph every page with headless Chromium.

    PYTHONPATH=$PWD python scripts/screenshots.py [--out docs]

Writes one picture per page at 1280 px: overview, transcripts (a list), transcript, compare, readiness, drivers,
agreement and data (health). Uses a tall viewport (a full-page screenshot
does not reach past Streamlit's scroll container) and crops below the page's last element. Every request that
is not to the app itself is refused, so a picture can only show what the app serves.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect, sync_playwright

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("EVALBOARD_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2400
TIMEOUT = 120_000  # ms; the machine may be busy
# name → (path, text that shows the page has its content, fewest Plotly charts it draws)
SHOTS = {
    "overview": ("/", "Rate by scenario family", 3),
    "transcripts": ("/transcripts?snapshot=atlas-2026-05&family=blackmail", "Select a row to read", 0),
    "transcript": ("/transcripts?sample=s-d3656ff2b71654", "Tool call", 0),
    "compare": ("/compare", "Change B − A per family", 2),
    "readiness": ("/readiness", "Per scenario family", 1),
    "drivers": ("/drivers?key=urgency_type", "Every scenario variable in this view", 1),
    "agreement": ("/agreement?y=grader:second-model", "Review queue", 0),
    "data": ("/data", "Data health", 0),
}
CHARTS_DRAWN = """n => {
    const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart]')];
    return charts.length >= n && charts.every(e => e.querySelector('.main-svg'));
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    """`streamlit run app.py` as the README starts it, on loopback; returns once it answers its health check."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EVALBOARD_DATA", None)  # the embedded demo data
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise SystemExit("streamlit did not start within 90 s")


def shoot(page: Page, url: str, ready: str, charts: int, out: Path) -> None:
    page.goto(url)
    expect(page.get_by_text(ready).first).to_be_visible(timeout=TIMEOUT)
    running = page.locator('[data-testid="stStatusWidget"]:has-text("Running")')
    expect(running).to_have_count(0, timeout=TIMEOUT)
    page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=TIMEOUT)
    grids = page.locator("[data-testid=stDataFrame]:not(:has(.dvn-scroller))")  # a data grid still loading its code
    expect(grids).to_have_count(0, timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # let Plotly finish its transitions
    page.mouse.move(0, 0)  # no hover label in the picture
    content = page.locator("[data-testid=stMainBlockContainer] > div").last.bounding_box()
    bottom = HEIGHT if content is None else min(HEIGHT, round(content["y"] + content["height"]) + 40)
    page.screenshot(path=out, clip={"x": 0, "y": 0, "width": WIDTH, "height": bottom})
    print(f"wrote {out} ({WIDTH}×{bottom})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"pictures to take: {', '.join(SHOTS)} (default: all)")
    args = parser.parse_args()
    if unknown := set(args.names) - set(SHOTS):
        parser.error(f"unknown picture(s): {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"],
            )  # fmt: skip
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})

            def local_only(route: Route) -> None:
                (route.continue_ if urlsplit(route.request.url).netloc == f"127.0.0.1:{port}" else route.abort)()

            context.route("**/*", local_only)
            for name in args.names or SHOTS:
                path, ready, charts = SHOTS[name]
                shoot(context.new_page(), base + path, ready, charts, args.out / f"{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
