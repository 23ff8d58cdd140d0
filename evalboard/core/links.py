"""The one builder of links (docs/ARCHITECTURE.md, "The URL contract"): every link is `link`, every link that restores
a page (the sidebar's "Share this view", a page's own share link) is `share`, every drill-down to the Transcripts page
is `transcripts`. Pure: no Streamlit, no store.

A drill-down is the Transcripts page's state (sidebar filters, the verdict source and Transcripts' own keys,
`samples.URL_KEYS`); `session.open_transcripts` opens it, and `link(base, "transcripts", state)` is the same view
as an address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

from evalboard.core.urls import PAGE_KEYS_BY_PAGE, TRANSCRIPTS_KEYS
from evalboard.core.view import ALL_SNAPSHOTS, ALL_SNAPSHOTS_KEY, FILTER_KEYS, SOURCE_KEY, View, pools_everything

Value = str | int | Sequence[str]


def query(params: Mapping[str, Value]) -> str:
    """The query string of `params`: repeated keys for lists, in the given order; empty values left out."""
    pairs = {key: [value] if isinstance(value, str | int) else list(value) for key, value in params.items()}
    return urlencode({key: [str(v) for v in values] for key, values in pairs.items() if values != []}, doseq=True)


def link(base_url: str, url_path: str, params: Mapping[str, Value]) -> str:
    """An absolute link to page `url_path` ('' = Overview, 'compare', …) on the host of `base_url` (the address the
    visitor used; its own path and query are dropped) with `params` as its query."""
    scheme, netloc, _, _, _ = urlsplit(base_url or "")
    return urlunsplit((scheme, netloc, "/" + url_path, query(params), ""))


def share(base_url: str, url_path: str, view: View, page_state: Mapping[str, Value]) -> str:
    """The link that reopens page `url_path` exactly: the sidebar's filters and verdict source (`view`), `snapshots=all`
    on an Overview that pools every snapshot, and the page's own state (`page_state`: its URL keys,
    `urls.PAGE_KEYS_BY_PAGE`, e.g. Compare's sides and eval-awareness split). Every share link of a page is this one.

    Raises ValueError for a key the page does not read, so a link cannot carry a key its page would warn about.
    """
    unknown = sorted(set(page_state) - set(PAGE_KEYS_BY_PAGE.get(url_path, ())))
    if unknown:
        raise ValueError(f"the page {url_path!r} has no URL key {unknown[0]!r}")
    marker = {ALL_SNAPSHOTS_KEY: [ALL_SNAPSHOTS]} if url_path == "" and pools_everything(view) else {}
    return link(base_url, url_path, view.to_query_params() | marker | dict(page_state))


def transcripts(filters: Mapping[str, str | Sequence[str]], **keys: object) -> dict[str, str | list[str]]:
    """The Transcripts page's state showing one cell: sidebar `filters` (URL key → value(s); lists stay lists, a
    single name stays a string) plus the page's own keys (numbers written as text; None left out).

    Raises ValueError for a key the Transcripts page does not read, so a drill-down cannot carry a key that
    would be warned about as unknown.
    """
    state: dict[str, str | list[str]] = {}
    for key, value in filters.items():
        if key not in FILTER_KEYS and key != SOURCE_KEY:
            raise ValueError(f"not a sidebar filter: {key!r}")
        state[key] = value if isinstance(value, str) else list(value)
    if isinstance(state.get(SOURCE_KEY), list):  # one verdict source: the view writes it as a list like the filters
        sources = state.pop(SOURCE_KEY)
        if sources:
            state[SOURCE_KEY] = str(sources[-1])
    for key, value in keys.items():
        if key not in TRANSCRIPTS_KEYS and key not in FILTER_KEYS and key != SOURCE_KEY:
            raise ValueError(f"the Transcripts page has no URL key {key!r}")
        if value is not None:
            state[key] = value if isinstance(value, list) else str(value)
    return state
