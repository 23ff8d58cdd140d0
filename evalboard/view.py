"""The view ⇄ URL contract (DESIGN.md §4): what a page shows, validated against the dataset.

A `View` is frozen and built only from values the dataset holds; everything else that arrives in a
URL is dropped with a warning that says which key and value, never put into SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
MAX_VALUE_CHARS = 200  # longer URL values cannot be dataset values; shown truncated in warnings


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
        source, warning = _source(params.get(SOURCE_KEY, ()), available.get(SOURCE_KEY, (PRIMARY,)))
        warnings += [warning] if warning else []
        unknown = sorted(set(params) - set(FILTER_KEYS) - {SOURCE_KEY} - PAGE_KEYS)
        warnings += [f"Ignored unknown URL parameter {_shorten(k)!r}." for k in unknown]
        return cls(**values, source=source), warnings


def _source(raw: str | Sequence[str], available: Sequence[str]) -> tuple[str, str | None]:
    """The verdict source a URL names (its last value) if the dataset has it, else primary and a warning."""
    given = [raw] if isinstance(raw, str) else list(raw)
    if not given or given[-1] == PRIMARY:
        return PRIMARY, None
    if given[-1] in available:
        return given[-1], None
    return PRIMARY, (
        f"Ignored {SOURCE_KEY}={_shorten(given[-1])!r} from the URL: the dataset has no such verdict source; "
        "rates use the primary verdict."
    )


# URL keys that belong to individual pages (by url_path) rather than to the shared filters; each page validates
# its own.
# The eval-awareness split (evalboard/awareness.py): whether to split rates, and by which labeller's labels.
SPLIT_KEYS = ("split", "awareness_source")
PAGE_KEYS_BY_PAGE: dict[str, tuple[str, ...]] = {
    "": SPLIT_KEYS,  # Overview
    "transcripts": ("sample", "step", "verdict", "q", "sort", "list_page", "right", "by", "by_verdict"),
    "agreement": ("x", "y"),
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
