"""The view ⇄ URL contract (docs/ARCHITECTURE.md, "The URL contract"): what a page shows, validated against the dataset.

A `View` is frozen and built only from values the dataset holds; everything else that arrives in a
URL is dropped with a warning that says which key and value, never put into SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from evalboard.core.fmt import literal

# URL key → View field. The URL keys are the widget keys the sidebar binds to the query string.
FILTER_KEYS: dict[str, str] = {
    "snapshot": "snapshots",
    "intervention": "interventions",
    "stage": "stages",
    "family": "families",
    "grader": "graders",
}
# The verdict source every rate counts under (URL key "source"): "primary" is samples.harmful and is left out of the
# URL; any other is a source of the verdicts table or "human" (reviews), see queries/macros.sql.
SOURCE_KEY = "source"
PRIMARY = "primary"
HUMAN = "human"
MAX_SHOWN_CHARS = 160  # a URL value is shown up to this length in a warning, then its length is said
# The Overview opens on the newest snapshot when a visit starts with no filter in the URL (four generations pooled
# into one bar answer nothing). A view that pools every snapshot on purpose says so with `snapshots=all`, so its
# link reopens exactly that; links that carry any filter key open as they always did.
ALL_SNAPSHOTS_KEY, ALL_SNAPSHOTS = "snapshots", "all"


@dataclass(frozen=True)
class View:
    """Filters of the current view. An empty tuple means "all values" on that dimension."""

    snapshots: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    graders: tuple[str, ...] = ()
    source: str = PRIMARY  # the verdict source rates count under

    def params(self) -> dict[str, list[str] | str]:
        """Bound parameters for the SQL in queries/ (lists and the source name, never SQL text)."""
        return {name: list(getattr(self, name)) for name in FILTER_KEYS.values()} | {"source": self.source}

    def to_query_params(self) -> dict[str, list[str]]:
        """URL form: repeated keys, defaults (empty filters, the primary source) left out."""
        params = {key: list(getattr(self, name)) for key, name in FILTER_KEYS.items() if getattr(self, name)}
        return params | ({SOURCE_KEY: [self.source]} if self.source != PRIMARY else {})

    @classmethod
    def from_query_params(
        cls,
        params: Mapping[str, str | Sequence[str]],
        available: Mapping[str, Sequence[str]],
        page_keys: Collection[str] = (),
    ) -> tuple[View, list[str]]:
        """Validate URL values against `available` (URL key → values); return the view and warnings. A key that is
        neither a filter nor one of `page_keys` (the pages' own, `urls.PAGE_KEYS`) is warned about as unknown."""
        values: dict[str, tuple[str, ...]] = {}
        warnings: list[str] = []
        for key, name in FILTER_KEYS.items():
            raw = params.get(key, ())
            given = [raw] if isinstance(raw, str) else list(raw)
            known = set(available.get(key, ()))
            kept: list[str] = []
            for value in given:
                if value in known:
                    if value not in kept:  # a repeated key/value pair counts once
                        kept.append(value)
                else:
                    warnings.append(ignored(key, value, f"the dataset has no such {key}"))
            values[name] = tuple(kept)
        source, warning = _source(params.get(SOURCE_KEY, ()), available.get(SOURCE_KEY, (PRIMARY,)))
        warnings += [warning] if warning else []
        marker = params.get(ALL_SNAPSHOTS_KEY, ())
        for value in [marker] if isinstance(marker, str) else list(marker):
            if value != ALL_SNAPSHOTS:
                reason = f"it can only be {ALL_SNAPSHOTS!r} (pick snapshots with snapshot=…)"
                warnings.append(ignored(ALL_SNAPSHOTS_KEY, value, reason))
        unknown = sorted(set(params) - set(FILTER_KEYS) - {SOURCE_KEY} - set(page_keys) - {ALL_SNAPSHOTS_KEY})
        warnings += [f"Ignored unknown URL parameter {literal(k, limit=MAX_SHOWN_CHARS)}." for k in unknown]
        return cls(**values, source=source), warnings


def _source(raw: str | Sequence[str], available: Sequence[str]) -> tuple[str, str | None]:
    """The verdict source a URL names (its last value) if the dataset has it, else primary and a warning."""
    given = [raw] if isinstance(raw, str) else list(raw)
    if not given or given[-1] == PRIMARY:
        return PRIMARY, None
    if given[-1] in available:
        return given[-1], None
    return PRIMARY, ignored(
        SOURCE_KEY, given[-1], "the dataset has no such verdict source; rates use the primary verdict"
    )


# The eval-awareness split (screens/awareness.py), a control Overview and Compare share like the sidebar's: whether
# to split rates, and by which labeller's labels. Both screens list these among their own keys (overview.URL_KEYS,
# compare.result.URL_KEYS); the contract of every page's keys is gathered in evalboard/core/urls.py.
SPLIT_KEYS = ("split", "awareness_source")  # what `split` accepts: SPLIT_SPECS below


def ignored(key: str, value: str, reason: str) -> str:
    """The one warning for a URL value the app does not use: the key and value quoted, and why."""
    return f"Ignored {literal(f'{key}={value}', limit=MAX_SHOWN_CHARS)} from the URL: {reason}."


@dataclass(frozen=True)
class KeySpec:
    """What one page URL key accepts: one of `choices`, or a whole number in [low, high] (clamped)."""

    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None

    def check(self, key: str, raw: str | None) -> tuple[str | int | None, str | None]:
        """(the value to use or None, a warning or None)."""
        if raw is None or raw == "":
            return None, None
        if self.choices:
            if raw in self.choices:
                return raw, None
            return None, ignored(key, raw, "use one of " + ", ".join(self.choices))
        if not _WHOLE_NUMBER.fullmatch(raw):  # int() alone would take "1_000", " 3" and non-ASCII digits
            return None, ignored(key, raw, "not a whole number")
        number = int(raw)
        low = self.low if self.low is not None else number
        high = self.high if self.high is not None else number
        if not low <= number <= high:
            bound = low if number < low else high
            return bound, ignored(key, raw, f"out of range [{self.low}, {self.high}]; using {bound}")
        return number, None


INT64_MAX = 2**63 - 1
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,30}")
# What the split's key accepts (a key whose values do not depend on the data has a spec beside its declaration;
# the others are checked where that data is: the sidebar filters above, Compare's sides, Readiness's gates files
# and overrides, the sources and labellers). `urls.PAGE_KEY_SPECS` gathers every screen's specs.
SPLIT_SPECS: dict[str, KeySpec] = {"split": KeySpec(choices=("awareness",))}


def landing_snapshot(params: Mapping[str, str | Sequence[str]], snapshots: Sequence[str]) -> str | None:
    """The snapshot a fresh visit to the Overview opens on: the newest (last of `snapshots`, oldest first) when the
    URL holds no filter key and no `snapshots=all`; else None (the URL's own view stands, and one snapshot is
    already all of them)."""
    if len(snapshots) < 2 or any(key in params for key in FILTER_KEYS):
        return None
    marker = params.get(ALL_SNAPSHOTS_KEY, ())
    if ALL_SNAPSHOTS in ([marker] if isinstance(marker, str) else list(marker)):
        return None
    return snapshots[-1]


def pools_everything(view: View) -> bool:
    """True when no filter is set: the view whose link needs `snapshots=all` to reopen exactly."""
    return not view.to_query_params()
