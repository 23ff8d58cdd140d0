"""evalboard entrypoint: page navigation, the shared URL-bound sidebar filters, dataset notices."""

from __future__ import annotations

import logging

import streamlit as st

from evalboard.core import paths
from evalboard.core.fmt import literal
from evalboard.core.urls import read_view
from evalboard.core.view import (
    ALL_SNAPSHOTS,
    ALL_SNAPSHOTS_KEY,
    PRIMARY,
    SOURCE_KEY,
    landing_snapshot,
    pools_everything,
)
from evalboard.data.store import QueryError
from evalboard.screens import metrics
from evalboard.ui import signin
from evalboard.ui.session import (
    PageEnd,
    begin_warnings,
    current_view,
    folded,
    freeze_long_lived,
    get_store,
    left_out_notice,
    share_url,
    storage_notice,
    warn,
)

# A local file: a Material icon as page_icon makes the browser fetch it from the internet.
st.set_page_config(page_title="evalboard", page_icon=str(paths.FAVICON), layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/bar_chart:", default=True),
    st.Page("pages/transcripts.py", title="Transcripts", icon=":material/forum:", url_path="transcripts"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/drivers.py", title="Drivers", icon=":material/tune:", url_path="drivers"),
    st.Page("pages/readiness.py", title="Readiness", icon=":material/verified:", url_path="readiness"),
    st.Page("pages/agreement.py", title="Agreement", icon=":material/rule:", url_path="agreement"),
    st.Page("pages/data_health.py", title="Data health", icon=":material/health_and_safety:", url_path="data"),
]
FILTER_LABELS = {  # URL key → (label, placeholder when nothing is selected)
    "snapshot": ("Snapshot", "All snapshots"),
    "intervention": ("Intervention", "All interventions"),
    "stage": ("Training stage", "All training stages"),
    "family": ("Scenario family", "All scenario families"),
    "grader": ("Grader", "All graders"),
}
IGNORED_URL_KEYS = {"embed", "embed_options"}
OVERVIEW = ""  # the default page's url_path


def source_label(source: str) -> str:
    return "primary (samples' own)" if source == PRIMARY else source  # fits the sidebar at 1280 px


who = signin.visitor()  # before anything reads data: the gate decides whether this visitor sees any
page = st.navigation(PAGES, position="top" if who.may_view else "hidden")
signin.gate(who, page, PAGES)  # signed out or no access: the sign-in or no-access page, and the run ends there
begin_warnings()
store = get_store()
health = store.refresh(new_run=True)  # the rest of this run reuses this folder scan
storage_notice(health)

if health.has_samples:
    options = metrics.filter_options(store)
    url = {k: st.query_params.get_all(k) for k in st.query_params if k not in IGNORED_URL_KEYS}
    _, warnings = read_view(url, options)
    for warning in warnings:
        warn(warning)
    if "_visited" not in st.session_state:  # a fresh visit: the Overview opens on the newest snapshot
        st.session_state["_visited"] = True
        newest = landing_snapshot(url, options["snapshot"]) if page.url_path == OVERVIEW else None
        if newest is not None:
            st.session_state["snapshot"] = [newest]
    with st.sidebar:
        st.header("Filters")
        for key, (label, placeholder) in FILTER_LABELS.items():
            st.multiselect(label, options[key], key=key, bind="query-params", placeholder=placeholder)
        st.selectbox(
            "Verdict source",
            options[SOURCE_KEY],
            key=SOURCE_KEY,
            bind="query-params",
            format_func=source_label,
            help="Whose verdict every rate counts: each transcript once, under this source. A transcript the source "
            "did not grade is left out of the denominators. 'human' is the latest review of each transcript.",
        )
    if page.url_path == OVERVIEW:  # the address bar reopens this view: say so when it pools every snapshot
        if pools_everything(current_view()):
            st.query_params[ALL_SNAPSHOTS_KEY] = ALL_SNAPSHOTS
        else:
            st.query_params.pop(ALL_SNAPSHOTS_KEY, None)
    if st.session_state.get(SOURCE_KEY, PRIMARY) != PRIMARY:
        st.info(
            f"Every rate here counts the verdicts of source {literal(st.session_state[SOURCE_KEY])} "
            "(each transcript once, its latest verdict); transcripts it did not grade are left out. "
            "Change it under Verdict source in the sidebar.",
            icon=":material/fact_check:",
        )
    if health.manifest.synthetic:
        st.info(
            f"**Synthetic demo data** — {literal(health.manifest.title)}. No real model produced these results.",
            icon=":material/science:",
        )
    left_out_notice(health)
elif page.url_path != "data":
    where = "does not exist" if not health.exists else "holds no readable samples/*.parquet files"
    st.error(
        f"No eval data to show: the dataset folder {literal(health.root.name)} {where}.\n\n"
        "Load data with `evalboard demo --out data/demo` (synthetic demo), or import your logs with "
        "`evalboard ingest LOGS… --out data/mine` and start the app with `EVALBOARD_DATA=data/mine`.",
        icon=":material/inbox:",
    )
    st.stop()

try:
    page.run()
except PageEnd:
    pass
except QueryError as exc:  # e.g. text DuckDB cannot decode; the message names no server path
    logging.getLogger("evalboard").error("page %s failed", page.url_path, exc_info=exc)
    st.error(f"This page could not be completed: {literal(exc)}", icon=":material/error:")
finally:  # after the page ran (even if it stopped early), so the link carries the page's own state too
    if health.has_samples:

        def share() -> None:
            st.caption("This link restores the page and every filter:")
            st.code(share_url(page.url_path, current_view()), language=None, wrap_lines=True)

        with st.sidebar:
            folded(":material/link: Share this view", "share_view", share)
    freeze_long_lived()
