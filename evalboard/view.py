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
        unknown = sorted(set(params) - set(FILTER_KEYS) - PAGE_KEYS)
        warnings += [f"Ignored unknown URL parameter {_shorten(k)!r}." for k in unknown]
        return cls(**values), warnings


# URL keys that belong to individual pages (by url_path) rather than to the shared filters; each page validates
# its own.
# The eval-awareness split (evalboard/awareness.py): whether to split rates, and by which labeller's labels.
SPLIT_KEYS = ("split", "awareness_source")
# Transcripts: only the transcripts of one eval-awareness class, under one labeller source (its own key: the split's
# source widget is bound to `awareness_source` on the pages that link here, and a bound key cannot be passed on).
BELIEVED_KEYS = ("believed", "believed_source")
PAGE_KEYS_BY_PAGE: dict[str, tuple[str, ...]] = {
    "": SPLIT_KEYS,  # Overview
    "transcripts": ("sample", "step", "verdict", "q", "sort", "list_page", "right", *BELIEVED_KEYS),
    "compare": (
        "a_snapshot",
        "a_intervention",
        "a_stage",
        "b_snapshot",
        "b_intervention",
        "b_stage",
        *SPLIT_KEYS,
    ),
    "readiness": ("gates", "max_rate", "min_samples", "confidence"),
}
PAGE_KEYS: frozenset[str] = frozenset(k for keys in PAGE_KEYS_BY_PAGE.values() for k in keys)


def _shorten(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS // 4 else value[: MAX_VALUE_CHARS // 4] + f"… ({len(value)} chars)"
