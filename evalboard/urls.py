"""The URL contract (docs/ARCHITECTURE.md, "The URL contract"), gathered from each screen's own declaration: the
sidebar's keys (`view.FILTER_KEYS`, `view.SOURCE_KEY`) and every page's keys, by url_path. Nothing here decides a
key; a screen adds one where its logic lives and it appears here, in the share links and in the URL checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evalboard import agreement, drivers, overview, samples
from evalboard.compare import result as compare
from evalboard.readiness import judge as readiness
from evalboard.view import SPLIT_SPECS, KeySpec, View

PAGE_KEYS_BY_PAGE: dict[str, tuple[str, ...]] = {
    "": overview.URL_KEYS,
    "transcripts": samples.URL_KEYS,
    "agreement": agreement.URL_KEYS,
    "compare": compare.URL_KEYS,
    "readiness": readiness.URL_KEYS,
    "drivers": drivers.URL_KEYS,
}
PAGE_KEYS: frozenset[str] = frozenset(k for keys in PAGE_KEYS_BY_PAGE.values() for k in keys)
# What the keys accept where it does not depend on the data, from the same declarations.
PAGE_KEY_SPECS: dict[str, KeySpec] = SPLIT_SPECS | samples.KEY_SPECS


def read_view(
    params: Mapping[str, str | Sequence[str]], available: Mapping[str, Sequence[str]]
) -> tuple[View, list[str]]:
    """`View.from_query_params` under this contract: any page's key is known, every other key is warned about."""
    return View.from_query_params(params, available, PAGE_KEYS)
