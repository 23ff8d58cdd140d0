"""Named questions the pages ask, answered from the store: counts in, rates with intervals out."""

from __future__ import annotations

import polars as pl

from evalboard.core.memo import reused
from evalboard.core.stats import with_intervals
from evalboard.core.view import FILTER_KEYS, PRIMARY, SOURCE_KEY, View
from evalboard.data.store import Store


def filter_options(store: Store) -> dict[str, list[str]]:
    """URL key → the values the dataset holds, in display order; "source" → the verdict sources, primary first."""
    options = _options(store.run("filter_options"))
    return options | {SOURCE_KEY: [PRIMARY, *verdict_sources(store).get_column("source").to_list()]}


@reused(maxsize=8)
def _options(frame: pl.DataFrame) -> dict[str, list[str]]:
    return {key: frame.filter(pl.col("dimension") == key).get_column("value").to_list() for key in FILTER_KEYS}


def verdict_sources(store: Store) -> pl.DataFrame:
    """Every verdict source besides primary: source, samples it graded, samples it has a row for, latest verdict."""
    return store.run("verdict_sources")


def rates(store: Store, query: str, view: View) -> pl.DataFrame:
    """Run a rate query (`rate_by_*`) for the view and add 95% Wilson intervals."""
    return _with_intervals(store.run(query, view.params()))


def rate_by_intervention(store: Store, view: View) -> pl.DataFrame:
    """The view's rate per intervention, with intervals (`rate_by_intervention.sql`)."""
    return rates(store, "rate_by_intervention", view)


def rate_by_stage(store: Store, view: View) -> pl.DataFrame:
    """The view's rate per intervention × checkpoint, with intervals (`rate_by_stage.sql`)."""
    return rates(store, "rate_by_stage", view)


def rate_by_family(store: Store, view: View) -> pl.DataFrame:
    """The view's rate per scenario family × intervention, with intervals (`rate_by_family.sql`)."""
    return rates(store, "rate_by_family", view)


_with_intervals = reused(maxsize=128)(with_intervals)
