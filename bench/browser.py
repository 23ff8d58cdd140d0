"""Time to a complete page in a real browser, for every page, against reference pages in the same run.

    python bench/browser.py                                  # embedded demo data, 5 warm runs each
    python bench/browser.py --data bench/out/synthetic-1000000 --runs 7
    python bench/browser.py --only Overview,Compare           # a subset (names as printed)
    python bench/browser.py --profile                         # a profile on disk, as a user's browser has

Two servers run side by side: `app.py` (on `--data` if given) and a tiny reference app whose `?n=K` draws a
title and K trivial 3-bar Plotly charts (`?n=0`: an empty page). Headless Debian chromium
(/usr/bin/chromium) opens each URL in a fresh tab of one warm browser context (HTTP cache and server
caches filled by one unmeasured visit each; with `--profile`, a persistent profile on disk, whose disk cache
keeps compiled scripts as a user's browser does, so Streamlit's and Plotly's JavaScript is not compiled on every
load); the page itself records `performance.now()` (milliseconds
since navigation start) when the page is complete: its heading is drawn, every expected Plotly chart
holds a drawn `.main-svg`, and no script run is in flight (as many `script_finished` as `new_session`
messages arrived on the websocket, whose frames the bench decodes: that also counts script runs per load).

A page with K charts is compared with the reference holding K trivial charts (target ≤ 1.3x), a page
without charts with the empty page (target ≤ 1.5x). A second reference holds the same kinds of Streamlit
elements as the page with trivial content (the top navigation of six pages, the sidebar's five
multiselects and a selectbox, an info notice, the page's own pickers, buttons, metrics and list controls, K charts, data
grids, static tables, chat messages): the ratio to
it is the app's own cost, what is left once Streamlit's and Plotly's cost for those elements is paid.

With `--before DIR`, the app of another checkout (run in DIR, with DIR's .streamlit/config.toml) and the
empty and K-chart references under DIR's config are timed in the same runs too, and a before/after table
follows (the references under DIR's config are the issue's: Streamlit as configured before the change).
`--before-charts Compare=5`: the page drew 5 charts in DIR (Compare before its sections became tabs), so DIR's
page waits for 5 and is compared with DIR's 5-chart reference.

The filter change picks one scenario family in the Overview's sidebar and times from the click until
the charts are redrawn, against a button click that reruns the empty page (target ≤ 1.5x) and against
picking a family on the same-elements reference of the Overview. Runs alternate between pages so
background load hits them alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import REPO, serve  # noqa: E402

sys.path.insert(0, str(REPO))
from tests.harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

REFERENCE_APP = """import plotly.graph_objects as go
import polars as pl
import streamlit as st

q = st.query_params
FILTERS = ["Snapshot", "Intervention", "Training stage", "Scenario family", "Grader"]


def body():
    st.title("reference")
    st.button("rerun")
    bump = 0
    if q.get("side"):  # the app's sidebar and notice; picking a family changes the charts, as in the app
        st.sidebar.header("Filters")
        for name in FILTERS:
            options = ["a", "b", q.get("family", "c")] if name == "Scenario family" else ["a", "b", "c"]
            bump += len(st.sidebar.multiselect(name, options, key=name))
        st.sidebar.selectbox("Verdict source", ["primary", "other"], key="source")
        st.info("**Synthetic demo data**", icon=":material/science:")
    for i in range(int(q.get("pick", 0))):  # a page's own pickers
        st.selectbox(f"pick {i}", ["a", "b", "c"], key=f"pick{i}")
    if q.get("ctl"):  # the Transcripts list's controls
        st.segmented_control("Verdict", ["all", "harmful", "safe"], default="all", key="verdict")
        st.text_input("Search", key="q")
        st.selectbox("Sort by", ["a", "b"], key="sort")
        st.number_input("Page", min_value=1, max_value=9, key="page")
    if q.get("tabs"):  # a page's sections, the open one's content drawn (Compare)
        st.tabs([f"tab {i}" for i in range(int(q.get("tabs")))], key="tabs", on_change="rerun")
    for i in range(int(q.get("metric", 0))):
        st.metric(f"metric {i}", f"{i:,}")
    for i in range(int(q.get("btn", 0))):
        st.button(f"button {i}", key=f"btn{i}")
    for i in range(int(q.get("n", 0))):
        st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[1 + bump, 2, 3])), key=f"chart{i}")
    for i in range(int(q.get("grid", 0))):
        st.dataframe(pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}), key=f"grid{i}")
    for i in range(int(q.get("table", 0))):
        st.table(pl.DataFrame({"a": [1, 2, 3], "b": ["`x`", "`y`", "`z`"]}), hide_index=True)
    if q.get("chat"):
        for role in ("user", "assistant"):
            with st.chat_message(role):
                st.write("hello")


def other():
    st.title("other")


if q.get("side"):  # with the app's top navigation of six pages
    pages = [st.Page(body, title="Overview", url_path="overview", default=True)]
    pages += [st.Page(other, title=t, url_path=t.lower()) for t in ("A", "B", "C", "D", "E")]
    st.navigation(pages, position="top").run()
else:
    body()
"""
# The page is complete: its heading, `charts` drawn Plotly charts, no element left stale from a run in flight.
COMPLETE = """([heading, charts, selector]) => {
    const h = [...document.querySelectorAll('h1')].some(e => e.textContent.includes(heading));
    const c = document.querySelectorAll('[data-testid=stPlotlyChart]:has(.main-svg)').length >= charts;
    const s = !selector || document.querySelector(selector) !== null;
    const busy = document.querySelector('[data-testid=stStatusWidget]') !== null
        || document.querySelector('[data-stale=true]') !== null;
    return h && c && s && !busy ? performance.now() : false;
}"""


def pages(sample_id: str) -> dict[str, tuple[str, str, int, str, str]]:
    """name → (path and query, heading, charts, extra selector, the same-elements reference's query)."""
    grid = "[data-testid=stDataFrame]"
    return {
        "Overview": ("/", "Blackmail rate", 3, "", "side=1&n=3"),
        "Compare": ("/compare", "Compare", 2, "", "side=1&pick=6&btn=3&tabs=3&n=2&grid=1"),
        "Compare (Training)": ("/compare?section=Training", "Compare", 2, "", "side=1&pick=6&btn=2&tabs=3&n=2"),
        "Readiness": ("/readiness", "Release readiness", 1, "", "side=1&pick=2&btn=2&n=1"),
        "Transcripts list": ("/transcripts", "Transcripts", 0, grid, "side=1&ctl=1&grid=1"),
        "transcript viewer": (f"/transcripts?sample={sample_id}", "Transcripts", 0, "[data-testid=stChatMessage]",
                              "side=1&btn=3&chat=1"),
        "Agreement": ("/agreement", "Agreement", 0, grid, "side=1&pick=2&grid=3"),
        "Data health": ("/data", "Data health", 0, grid, "side=1&metric=4&grid=1&table=1"),
    }  # fmt: skip


class Tab:
    """A fresh tab that counts script runs from the websocket frames it receives."""

    def __init__(self, context) -> None:
        self.page = context.new_page()
        self.started = 0
        self.finished = 0
        self.page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        def frame(payload) -> None:
            if isinstance(payload, str):
                return
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:  # noqa: BLE001 - not a ForwardMsg: ignore
                return
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.started += 1
            elif kind == "script_finished":
                self.finished += 1

        ws.on("framereceived", frame)

    def wait_complete(self, heading: str, charts: int, selector: str, timeout_ms: float) -> float:
        """performance.now() when the page is complete (see COMPLETE), polled every animation frame."""
        deadline_polls = 0
        while True:
            try:
                value = self.page.wait_for_function(
                    COMPLETE, arg=[heading, charts, selector], polling="raf", timeout=timeout_ms
                ).json_value()
            except PlaywrightTimeoutError:
                shown = self.page.locator("[data-testid=stMain]").inner_text(timeout=5000)
                sys.exit(f"not complete within {timeout_ms / 1000:.0f} s. The page shows:\n{shown[:2000]}")
            # Python sees the frames: a run still in flight means the page is not final yet.
            if self.finished >= self.started > 0 or deadline_polls > 50:
                return value
            deadline_polls += 1
            self.page.wait_for_timeout(20)

    def close(self) -> None:
        self.page.close()


def time_load(context, url: str, heading: str, charts: int, selector: str, timeout_ms: float) -> tuple[float, int]:
    """Seconds from navigation start to a complete page, and the script runs it took."""
    tab = Tab(context)
    try:
        tab.page.goto(url, wait_until="commit")
        seconds = tab.wait_complete(heading, charts, selector, timeout_ms) / 1000
        tab.page.wait_for_timeout(300)  # a run that follows on its own would start by now
        return seconds, tab.started
    finally:
        tab.close()


def time_change(context, url: str, heading: str, charts: int, action, timeout_ms: float) -> float:
    """Seconds from a user action (after the page is complete) to the page complete again."""
    tab = Tab(context)
    try:
        tab.page.goto(url, wait_until="commit")
        tab.wait_complete(heading, charts, "", timeout_ms)
        tab.page.wait_for_timeout(300)
        runs = tab.started
        start = tab.page.evaluate("() => performance.now()")
        action(tab.page)
        while tab.started == runs:  # the run the action asked for has started
            tab.page.wait_for_timeout(5)
        end = tab.wait_complete(heading, charts, "", timeout_ms)
        return (end - start) / 1000
    finally:
        tab.close()


def pick_family(family: str):
    def action(page) -> None:
        box = page.locator("[data-testid=stMultiSelect]").filter(has_text="Scenario family")
        box.locator("input").click()
        page.get_by_role("option", name=family, exact=True).click()

    return action


def click_rerun(page) -> None:
    page.get_by_role("button", name="rerun").click()


def first_sample(data: Path) -> tuple[str, str]:
    sys.path.insert(0, str(REPO))
    from evalboard.data.store import Store

    store = Store(data)
    store.refresh()
    sql = "SELECT sample_id, scenario_family FROM samples ORDER BY sample_id LIMIT 1"
    return tuple(store._con.sql(sql).fetchall()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "demo", help="dataset (default: the demo)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per page (default 5)")
    parser.add_argument("--only", help="comma-separated page names to time (default: all, plus the filter change)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for one page (default 120)")
    parser.add_argument("--before", type=Path, help="another checkout to time in the same runs (before a change)")
    parser.add_argument(
        "--before-charts",
        action="append",
        default=[],
        metavar="PAGE=K",
        help="the charts a page drew in the --before checkout, when it drew another number (e.g. Compare=5)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="a browser profile on disk, as a user's browser has (disk cache, compiled-script cache), "
        "instead of a fresh in-memory context",
    )
    args = parser.parse_args(argv)
    sample_id, family = first_sample(args.data)
    targets = pages(sample_id)
    before_charts = {page: int(k) for page, _, k in (item.rpartition("=") for item in args.before_charts)}
    chosen = [n.strip() for n in args.only.split(",")] if args.only else [*targets, "filter change"]

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="evalboard-ref-")))
        (tmp / "reference.py").write_text(REFERENCE_APP)
        app = stack.enter_context(serve(REPO / "app.py", args.data)).url
        ref = stack.enter_context(serve(tmp / "reference.py")).url
        if args.before:
            before = args.before.resolve()
            before_app = stack.enter_context(serve(before / "app.py", args.data, checkout=before)).url
            before_ref = stack.enter_context(serve(tmp / "reference.py", checkout=before)).url
        pw = stack.enter_context(sync_playwright())
        viewport = {"width": 1400, "height": 1200}
        if args.profile:
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="evalboard-profile-"))
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=viewport
            )
            stack.callback(context.close)
        else:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            stack.callback(browser.close)
            context = browser.new_context(viewport=viewport)
        timeout_ms = args.timeout * 1000

        jobs = {}
        for name in chosen:
            if name in targets:
                path, heading, charts, selector, same = targets[name]
                jobs[name] = lambda p=path, h=heading, c=charts, s=selector: time_load(
                    context, app + p, h, c, s, timeout_ms
                )
                jobs[f"ref{charts}"] = lambda c=charts: time_load(
                    context, f"{ref}/?n={c}", "reference", c, "", timeout_ms
                )
                jobs[f"same:{same}"] = lambda c=charts, q=same, s=selector: time_load(
                    context, f"{ref}/?{q}", "reference", c, s, timeout_ms
                )
                if args.before:
                    old = before_charts.get(name, charts)
                    jobs[f"before:{name}"] = lambda p=path, h=heading, c=old, s=selector: time_load(
                        context, before_app + p, h, c, s, timeout_ms
                    )
                    jobs[f"before:ref{charts}"] = lambda c=charts: time_load(
                        context, f"{before_ref}/?n={c}", "reference", c, "", timeout_ms
                    )
                    if old != charts:
                        jobs[f"before:ref{old}"] = lambda c=old: time_load(
                            context, f"{before_ref}/?n={c}", "reference", c, "", timeout_ms
                        )
        if "filter change" in chosen:
            jobs["filter change"] = lambda: (
                time_change(context, app + "/", "Blackmail rate", 3, pick_family(family), timeout_ms),
                0,
            )
            jobs["rerun0"] = lambda: (time_change(context, f"{ref}/?n=0", "reference", 0, click_rerun, timeout_ms), 0)
            if args.before:
                jobs["before:filter change"] = lambda: (
                    time_change(context, before_app + "/", "Blackmail rate", 3, pick_family(family), timeout_ms),
                    0,
                )
                jobs["before:rerun0"] = lambda: (
                    time_change(context, f"{before_ref}/?n=0", "reference", 0, click_rerun, timeout_ms),
                    0,
                )
            jobs["same filter change"] = lambda: (
                time_change(context, f"{ref}/?side=1&n=3&family={family}", "reference", 3, pick_family(family),
                            timeout_ms),
                0,
            )  # fmt: skip
        for job in jobs.values():  # warm-up: server caches, HTTP cache, JS chunks
            job()
        times: dict[str, list[float]] = {name: [] for name in jobs}
        runs: dict[str, int] = {}
        for run in range(args.runs):
            for name, job in jobs.items():
                seconds, runs[name] = job()
                times[name].append(seconds)
            print(f"run {run + 1}: " + ", ".join(f"{n} {t[-1]:.2f}" for n, t in times.items()), flush=True)

    med = {name: statistics.median(t) for name, t in times.items()}
    kind = "a browser profile on disk" if args.profile else "a fresh in-memory context"
    print(
        f"\ndataset: {args.data}; chromium headless, {kind}; {args.runs} warm runs each, medians; "
        f"{os.cpu_count()} cores"
    )
    print("| page | complete s | reference | ratio | target | same elements, trivial content | ratio | runs per load |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for name in jobs:
        if name in targets:
            charts, same = targets[name][2], targets[name][4]
            ref_name = "empty page" if charts == 0 else f"{charts} trivial chart(s)"
            target = 1.5 if charts == 0 else 1.3
            ratio = med[name] / med[f"ref{charts}"]
            print(
                f"| {name} | {med[name]:.2f} | {ref_name} {med[f'ref{charts}']:.2f} | {ratio:.2f}x | "
                f"{'meets' if ratio <= target else 'MISSES'} ≤ {target}x | `{same}` {med[f'same:{same}']:.2f} | "
                f"{med[name] / med[f'same:{same}']:.2f}x | {runs[name]} |"
            )
    if "filter change" in jobs:
        ratio = med["filter change"] / med["rerun0"]
        same = med["same filter change"]
        print(
            f"| filter change (Overview: pick a family) | {med['filter change']:.2f} | empty page rerun "
            f"{med['rerun0']:.2f} | {ratio:.2f}x | {'meets' if ratio <= 1.5 else 'MISSES'} ≤ 1.5x | "
            f"pick a family, 3 charts {same:.2f} | {med['filter change'] / same:.2f}x | |"
        )
    if args.before:
        print(f"\nbefore ({args.before}) and after (this checkout), same runs; medians, seconds to complete:")
        print("| page | before | after | after / before | before: ratio to its ref | after: ratio to the same ref | "
              "after: ratio to this checkout's ref |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name in targets:
            if f"before:{name}" not in med:
                continue
            b, a, charts = med[f"before:{name}"], med[name], targets[name][2]
            ref_b, ref_a = med[f"before:ref{before_charts.get(name, charts)}"], med[f"ref{charts}"]
            print(f"| {name} | {b:.2f} | {a:.2f} | {a / b:.2f} | {b / ref_b:.2f}x | {a / ref_b:.2f}x | "
                  f"{a / ref_a:.2f}x |")  # fmt: skip
        for charts in sorted(int(n[len("before:ref") :]) for n in med if n.startswith("before:ref")):
            after = f"{med[f'ref{charts}']:.2f}" if f"ref{charts}" in med else ""
            print(f"| reference, {charts} trivial chart(s) | {med[f'before:ref{charts}']:.2f} | {after} | | | | |")
        if "before:filter change" in med:
            b, a = med["before:filter change"], med["filter change"]
            print(f"| filter change (Overview) | {b:.2f} | {a:.2f} | {a / b:.2f} | {b / med['before:rerun0']:.2f}x | "
                  f"{a / med['before:rerun0']:.2f}x | {a / med['rerun0']:.2f}x |")  # fmt: skip
            print(f"| rerun of the empty page | {med['before:rerun0']:.2f} | {med['rerun0']:.2f} | | | | |")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
