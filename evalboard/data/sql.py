"""The one loader of `queries/<name>.sql`, shared by the store and ingest (docs/ARCHITECTURE.md, "Queries").

A query's text is read once; its bound parameters are the `$name`s outside comments. A query calling
`view_counts(…, $source)` also gets a second text that calls `primary_counts(…, $source)`: with `$source =
'primary'` it gives exactly what `view_counts` gives, without binding the other-source branch (queries/macros.sql).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalboard.core.paths import QUERIES_DIR

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_VIEW_COUNTS = re.compile(r"\bview_counts\(([^()]*,\s*\$source\s*)\)")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class QueryError(RuntimeError):
    """A query failed; the message names the query and the cause."""


class QueryBug(QueryError):
    """A shipped query cannot even be parsed: a bug of evalboard's, never the data's or the caller's fault."""


class Queries:
    """The SQL texts of one queries folder, each read once."""

    def __init__(self, queries_dir: Path = QUERIES_DIR) -> None:
        self.queries_dir = queries_dir
        self._sql: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.primary: dict[str, str | None] = {}  # query name → its text for $source = 'primary', if it differs

    def load(self, name: str) -> tuple[str, tuple[str, ...]]:
        """SQL text of `queries/<name>.sql` and the parameter names it binds."""
        if name not in self._sql:
            if not _NAME.fullmatch(name):
                raise QueryError(f"bad query name {name!r}")
            sql = (self.queries_dir / f"{name}.sql").read_text(encoding="utf-8")
            code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
            self._sql[name] = (sql, tuple(dict.fromkeys(_PARAM.findall(code))))
            primary = _VIEW_COUNTS.sub(r"primary_counts(\1)", sql)
            self.primary[name] = primary if primary != sql else None
        return self._sql[name]

    def text(self, name: str) -> str:
        return self.load(name)[0]

    def sql_for(self, name: str, bound: Mapping[str, Any]) -> str:
        """The text to run: for the primary verdict, view_counts(…, $source) read as primary_counts(…, $source)."""
        sql = self.load(name)[0]
        primary = self.primary[name] if bound.get("source") == "primary" else None
        return primary or sql


_SHARED = Queries()


def query_text(name: str) -> str:
    """The text of `queries/<name>.sql` (for connections of ingest's own, run with bound parameters)."""
    return _SHARED.text(name)


def freeze(value: Any) -> Any:
    """Hashable form of bound parameters, for a cache key."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(freeze(v) for v in value)
    return value
