"""Streamlit glue shared by app.py and the pages: the cached store and the current view.

The only module besides pages/ and app.py that imports Streamlit.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from evalboard.store import Store
from evalboard.view import FILTER_KEYS, View

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "data" / "demo"


def data_dir() -> Path:
    """The dataset folder: `EVALBOARD_DATA`, else the embedded demo data."""
    return Path(os.environ.get("EVALBOARD_DATA") or DEFAULT_DATA)


@st.cache_resource(show_spinner=False)
def _store(root: str) -> Store:
    return Store(root)


def get_store() -> Store:
    """One read-only store per dataset folder, shared by every session."""
    return _store(str(data_dir().resolve()))


def current_view() -> View:
    """The view the sidebar widgets hold (they are bound to the URL)."""
    return View(**{name: tuple(st.session_state.get(key) or ()) for key, name in FILTER_KEYS.items()})


def share_url(view: View) -> str:
    """An absolute link to this page with the view in its query string."""
    scheme, netloc, path, _, _ = urlsplit(st.context.url or "")
    return urlunsplit((scheme, netloc, path, urlencode(view.to_query_params(), doseq=True), ""))


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
