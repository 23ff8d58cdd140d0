"""The one builder of links (docs/ARCHITECTURE.md, "The URL contract"): every share link is `link`, every drill-down
to the Transcripts page is `transcripts`. Pure: no Streamlit, no store.

A drill-down is the Transcripts page's state (sidebar filters, the verdict source and Transcripts' own keys,
`samples.URL_KEYS`); `session.open_transcripts` opens it, and `link(base, "transcripts", state)` is the same view
as an address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

from evalboard.samples import URL_KEYS as TRANSCRIPTS_KEYS
from evalboard.view import FILTER_KEYS, SOURCE_KEY

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
