"""The view ⇄ URL contract (DESIGN.md §4): what a page shows, validated against the dataset.

A `View` is frozen and built only from values the dataset holds; everything else that arrives in a
URL is dropped with a warning that says which key and value, never put into SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

# URL key → View field. The URL keys are the widget keys the sidebar binds to the query string.
FILTER_KEYS: dict[str, str] = {
    "snapshot": "snapshots",
    "intervention": "interventions",
    "stage": "stages",
    "family": "families",
    "grader": "graders",
}
# The Overview opens on the newest snapshot when a visit starts with no filter in the URL (four generations pooled
# into one bar answer nothing). A view that pools every snapshot on purpose says so with `snapshots=all`, so its
# link reopens exactly that; links that carry any filter key open as they always did.
ALL_SNAPSHOTS_KEY, ALL_SNAPSHOTS = "snapshots", "all"
MAX_VALUE_CHARS = 200  # longer URL values cannot be dataset values; shown truncated in warnings


@dataclass(frozen=True)
class View:
    """Filters of the current view. An empty tuple means "all values" on that dimension."""

    snapshots: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    graders: tuple[str, ...] = ()

    def params(self) -> dict[str, list[str]]:
        """Bound parameters for the SQL in queries/ (lists, never SQL text)."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    def to_query_params(self) -> dict[str, list[str]]:
        """URL form: repeated keys, defaults (empty filters) left out."""
        return {key: list(getattr(self, name)) for key, name in FILTER_KEYS.items() if getattr(self, name)}

    @classmethod
    def from_query_params(
        cls, params: Mapping[str, str | Sequence[str]], available: Mapping[str, Sequence[str]]
    ) -> tuple[View, list[str]]:
        """Validate URL values against `available` (URL key → values); return the view and warnings."""
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
                    warnings.append(f"Ignored {key}={_shorten(value)!r} from the URL: the dataset has no such {key}.")
            values[name] = tuple(kept)
        marker = params.get(ALL_SNAPSHOTS_KEY, ())
        for value in [marker] if isinstance(marker, str) else list(marker):
            if value != ALL_SNAPSHOTS:
                warnings.append(
                    f"Ignored {ALL_SNAPSHOTS_KEY}={_shorten(value)!r} from the URL: it can only be "
                    f"{ALL_SNAPSHOTS!r} (pick snapshots with snapshot=…)."
                )
        unknown = sorted(set(params) - set(FILTER_KEYS) - PAGE_KEYS - {ALL_SNAPSHOTS_KEY})
        warnings += [f"Ignored unknown URL parameter {_shorten(k)!r}." for k in unknown]
        return cls(**values), warnings


# URL keys that belong to individual pages (by url_path) rather than to the shared filters; each page validates
# its own.
PAGE_KEYS_BY_PAGE: dict[str, tuple[str, ...]] = {
    "transcripts": ("sample", "step", "verdict", "q", "sort", "list_page", "right"),
    "compare": ("a_snapshot", "a_intervention", "a_stage", "b_snapshot", "b_intervention", "b_stage"),
    "readiness": ("gates", "max_rate", "min_samples", "confidence"),
}
PAGE_KEYS: frozenset[str] = frozenset(k for keys in PAGE_KEYS_BY_PAGE.values() for k in keys)


def _shorten(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS // 4 else value[: MAX_VALUE_CHARS // 4] + f"… ({len(value)} chars)"


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
