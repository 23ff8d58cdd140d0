"""Streamlit glue shared by app.py and the pages: the cached store and the current view.

The only module besides pages/ and app.py that imports Streamlit.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import polars as pl
import streamlit as st

from evalboard.core import links, location, paths
from evalboard.core.fmt import literal, quoted_columns
from evalboard.core.urls import AS_OF_KEY, PAGE_KEY_SPECS, PAGE_KEYS_BY_PAGE, READINESS_SPECS, URL_DEFAULTS
from evalboard.core.view import FILTER_KEYS, PRIMARY, SOURCE_KEY, View, ignored
from evalboard.data.store import Health, Store
from evalboard.screens import awareness as aw

REPO_ROOT = paths.APP_ROOT  # an alias; evalboard/core/paths.py resolves every app path
LOG = logging.getLogger("evalboard")


def data_dir() -> Path | str:
    """The dataset: `EVALBOARD_DATA` (a folder or `s3://…`), else the embedded demo data (`paths.default_data`)."""
    return paths.default_data()


@st.cache_resource(show_spinner=False)
def _store(root: str, as_of: int | None = None) -> Store:
    return Store(root, as_of=as_of)


def get_store(as_of: int | None = None) -> Store:
    """One read-only store per dataset folder (and per pinned version: `as_of`), shared by every session."""
    return _store(location.resolved(data_dir()), as_of)


def pinned_store() -> tuple[Store, str | None]:
    """The store at the URL's `as_of=` version of the samples Delta table (the newest without it), and a warning
    when the URL asks for a version the dataset does not have (or it keeps plain Parquet files, which have none)."""
    raw = st.query_params.get(AS_OF_KEY)
    as_of, warning = READINESS_SPECS[AS_OF_KEY].check(AS_OF_KEY, raw)
    if as_of is None:
        return get_store(), warning
    store = get_store(int(as_of))
    store.refresh()
    if store.storage_error is not None and store.storage_error.kind == "version":
        return get_store(), ignored(AS_OF_KEY, str(raw), str(store.storage_error))
    return store, warning


_FROZEN_AT = [0]  # len(sys.modules) at the last gc.freeze()
_FREEZE_LOCK = threading.Lock()


def freeze_long_lived() -> None:
    """Last thing in app.py: when this run imported modules (a page's first visit in this process), collect once and
    move every object alive now (modules, classes, the store) out of the garbage collector's view.

    Streamlit runs a full `gc.collect(2)` after every script run; over the ~200,000 objects that polars, DuckDB,
    SciPy and Plotly leave alive that took ~100 ms of CPU, holding the GIL, on every run of every session
    (bench/README.md, "Page speed, round 2"). Frozen objects are still freed by reference counting; only a reference
    cycle among objects alive at one of these few moments would stay. Objects made later stay collectable.
    """
    with _FREEZE_LOCK:
        if len(sys.modules) == _FROZEN_AT[0]:
            return
        gc.collect()
        gc.freeze()
        _FROZEN_AT[0] = len(sys.modules)


def redact(text: object) -> str:
    """`text` without the server's absolute paths (the dataset folder, the repository): visitors see names
    relative to them. The full text belongs in the server log."""
    out = str(text)
    for root in (get_store().root, Path(location.resolved(data_dir())), REPO_ROOT):
        out = out.replace(f"{root}{os.sep}", "").replace(str(root), root.name)
    return out


_SHOWN, _CARRIED = "_url_warnings_shown", "_url_warnings_carried"


def begin_warnings() -> None:
    """First thing in app.py: a new run shows no warning yet, except those carried over a URL-correcting rerun."""
    st.session_state[_SHOWN] = []
    for text in st.session_state.pop(_CARRIED, []):
        warn(text)


def warn(text: str) -> None:
    """Show a warning about the URL once per run (its text must already quote outside strings)."""
    shown = st.session_state.setdefault(_SHOWN, [])
    if text not in shown:
        shown.append(text)
        st.warning(text, icon=":material/warning:")


def rerun_keeping_warnings(*more: str) -> NoReturn:
    """Rerun (e.g. after correcting the URL) and show this run's warnings, and `more`, again."""
    st.session_state[_CARRIED] = [*st.session_state.get(_SHOWN, []), *more]
    st.rerun()


def pinned_selectbox(
    label: str,
    options: Sequence[str],
    key: str,
    default: str,
    where: Any = st,
    format_func: Callable[[str], str] = str,
    pending: dict[str, str] | None = None,
    **kwargs: Any,
) -> str:
    """A picker whose value the address bar always holds, default or not (docs/ARCHITECTURE.md, "The URL contract":
    the address pins what is shown, even once the data's default changes).

    Unbound on purpose: a bound selectbox leaves its default out of the URL and writes its displayed text into it.
    The URL's value (when `options` holds it), else `default`, seeds the widget where this page did not draw it in
    the previous run; the widget keeps its state after that; its value is written back to the URL on every run. No
    `index` is passed, so a value set through session state (e.g. a swap) draws no Streamlit warning.
    """
    if st.session_state.get(key) not in options:
        asked = st.query_params.get(key)
        st.session_state[key] = asked if asked in options else default
    value = where.selectbox(label, options, key=key, format_func=format_func, **kwargs)
    if pending is not None:  # written with the page's other pickers by `pin_to_url`
        pending[key] = value
    elif st.query_params.get_all(key) != [value]:
        st.query_params[key] = value
    return value


def pin_to_url(values: Mapping[str, str]) -> None:
    """Write several pickers' values (`pinned_selectbox(..., pending=values)`) to the address bar at once: each write
    is a message to the browser, which adds a history entry and redraws the page for it."""
    changed = {key: value for key, value in values.items() if st.query_params.get_all(key) != [value]}
    if changed:
        st.query_params.update(changed)


def current_view() -> View:
    """The view the sidebar widgets hold (they are bound to the URL)."""
    filters = {name: tuple(st.session_state.get(key) or ()) for key, name in FILTER_KEYS.items()}
    return View(**filters, source=st.session_state.get(SOURCE_KEY) or PRIMARY)


def page_params(url_path: str) -> dict[str, list[str]]:
    """The page's own URL state (its PAGE_KEYS_BY_PAGE): bound widgets' values, else the query string."""
    params: dict[str, list[str]] = {}
    for key in PAGE_KEYS_BY_PAGE.get(url_path, ()):
        value = st.session_state.get(key) if key in st.session_state else st.query_params.get_all(key)
        if value is None or value is False or value == [] or value == "":  # a toggle off is its default: left out
            continue
        if key in URL_DEFAULTS and value in (URL_DEFAULTS[key], [URL_DEFAULTS[key]]):  # as the address bar has it
            continue
        if value is True:
            value = "true"  # a toggle on, as its URL binding writes it
        params[key] = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    return params


def share_url(url_path: str, view: View, **page_state: str) -> str:
    """An absolute link that restores this page (`links.share`): its path, the sidebar filters and the page's own
    state, with `page_state` (a page's own values, e.g. Compare's resolved sides) over what the widgets hold."""
    return links.share(st.context.url or "", url_path, view, page_params(url_path) | page_state)


# A table without selection of at most this many cells is drawn static: cheaper than a data grid in the browser for a
# few rows, dearer beyond (st.table renders each cell as Markdown; bench/README.md, "Page speed, round 2").
STATIC_TABLE_CELLS = 60


def table(frame: pl.DataFrame, outside: Sequence[str] = ()) -> None:
    """A table the reader does not select from: static, with the `outside` columns (strings from the data) quoted,
    when it has at most STATIC_TABLE_CELLS cells, else a data grid (which also scrolls and sorts)."""
    if frame.height * max(frame.width, 1) <= STATIC_TABLE_CELLS:
        st.table(quoted_columns(frame, outside), hide_index=True)
    else:
        st.dataframe(frame, hide_index=True)


def folded(label: str, key: str, build: Callable[[], object], **expander: Any) -> None:
    """An expander whose content is built only while it is open (opening it reruns the script): a collapsed
    expander's elements are still drawn, and a code block among them costs a page holding a data grid ~0.45 s in
    the browser (bench/README.md, "Page speed, fifth session")."""
    with st.expander(label, key=key, on_change="rerun", **expander) as box:
        if box.open:
            build()


def sections(key: str) -> Sequence[Any]:
    """One tab per choice of the page key `key` (`urls.PAGE_KEY_SPECS`), the open one in the URL (its label; the
    first, the default, left out). Only the open tab's `.open` is True: build only its content, so a page draws one
    section's elements, not every section's. A URL value that is not a choice is warned about and the first tab
    opens."""
    spec = PAGE_KEY_SPECS[key]
    _, warning = spec.check(key, st.query_params.get(key))
    if warning:
        st.warning(warning, icon=":material/warning:")
        del st.query_params[key]
    return st.tabs(spec.choices, key=key, bind="query-params")


def ensure_entrypoint() -> None:
    """Make sure app.py frames this page: call first thing in every page.

    Streamlit runs a file of `pages/` on its own (its legacy folder mode) until some session has
    called `st.navigation`, so the first visit to a deep link on a freshly started server would
    miss the sidebar and its URL-bound filters. Turn that mode off and rerun through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    pending = st.session_state.pop(_PENDING_TRANSCRIPTS, None)
    if pending is not None:
        st.switch_page("pages/transcripts.py", query_params=pending)


_PENDING_TRANSCRIPTS = "_open_transcripts"


def open_transcripts(cell: Mapping[str, str | Sequence[str]]) -> None:
    """Button/selection callback: show exactly `cell` on the Transcripts page.

    The sidebar's filters are set through session state (sidebar filters not named in `cell` are cleared).
    Everything else (step, verdict, …) travels as query params of the page switch, which happens at the top
    of the next run (`ensure_entrypoint`), since callbacks may not switch pages. The Transcripts page's own
    widgets are unbound while another page shows, so they take their values from those params.
    """
    for key in FILTER_KEYS:
        value = cell.get(key, ())
        st.session_state[key] = [value] if isinstance(value, str) else list(value)
    if SOURCE_KEY in cell:  # the sidebar's verdict source, like the filters
        st.session_state[SOURCE_KEY] = str(cell[SOURCE_KEY])
    page_params = {k: str(v) for k, v in cell.items() if k not in FILTER_KEYS and k != SOURCE_KEY}
    for key in page_params:
        st.session_state.pop(key, None)  # a stale value would win over the URL
    # Always a dict: switch_page(query_params=None) would try to clear the URL-bound sidebar params and fail.
    st.session_state[_PENDING_TRANSCRIPTS] = page_params


class PageEnd(Exception):
    """Raised by `end_page`; app.py catches it, so the shared frame still renders after the page."""


def end_page() -> NoReturn:
    """Stop drawing this page here (use instead of `st.stop`, which would also stop app.py's frame)."""
    raise PageEnd


def storage_notice(health: Health) -> None:
    """Every page: storage could not be asked just now (unreachable, refused credentials, no such bucket); what is
    shown is what was read before, if anything. One line, no traceback, no credential (docs/ARCHITECTURE.md)."""
    if health.storage_problem:
        st.warning(
            f"Storage could not be read just now: {literal(health.storage_problem)}. What this page shows is the data "
            "as last read (nothing, if it never was); the next page load tries again.",
            icon=":material/cloud_off:",
        )


def left_out_notice(health: Health) -> None:
    """Every page: how many files of the dataset are left out (what is shown rests on partial data), with a link to
    Data health, which names each one and why. One notice, drawn by app.py above every page."""
    if not health.rejected:
        return
    n = len(health.rejected)
    with st.container(border=True):
        st.warning(
            f"{n} file(s) in the dataset folder could not be read and are left out: every number here counts only "
            "the rest (partial data), and Readiness gives no verdict until they are restored or removed.",
            icon=":material/warning:",
        )
        st.page_link(
            "pages/data_health.py", label="Data health: which files, and why", icon=":material/health_and_safety:"
        )


def awareness_split(store: Store) -> str | None:
    """Draw the URL-bound eval-awareness split controls; return the labeller source to split by, or None (no split).

    Says so where the URL asks for an unknown split or source, or the dataset holds no awareness labels.
    """
    bad_split = aw.split_warning(st.query_params.get(aw.SPLIT_KEY))
    if bad_split:
        st.warning(bad_split, icon=":material/warning:")
    sources = aw.sources(store)
    left, right = st.columns([2, 3])
    split = left.segmented_control(
        "Split rates by what the model believed",
        aw.SPLITS,  # shown as their URL values: a bound control writes its displayed text into the URL
        key=aw.SPLIT_KEY,
        bind="query-params",
        help="Rate when the model said it believed the scenario was real, an evaluation, or made no statement.",
    )
    if not split:
        return None
    if not sources:
        st.info(
            "This dataset has no eval-awareness labels (an `awareness/` folder), so rates cannot be split by them. "
            "`evalboard ingest` imports them from Petri, agentic-misalignment, Inspect Scout and Inspect logs.",
            icon=":material/visibility_off:",
        )
        return None
    requested = st.query_params.get(aw.SOURCE_KEY) if aw.SOURCE_KEY not in st.session_state else None
    source, warning = aw.choose_source(sources, requested)
    if warning:
        st.warning(warning, icon=":material/warning:")
    return right.selectbox(
        "Awareness labels from", sources, index=sources.index(source), key=aw.SOURCE_KEY, bind="query-params"
    )
