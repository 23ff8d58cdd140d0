"""Rollups (docs/ARCHITECTURE.md, "Rollups"): per samples file, the counts the aggregate queries read
(`queries/sample_rollup.sql`), built once per file version and kept in `DATA/.index/rollups/`; `sample_counts` is
their union, or the same counts by a scan when rollups cannot be used."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import FileCheck
from evalboard.data.derived import ROLLUP_DIR, prune, save
from evalboard.data.files import FileStatus, Key, good_keys
from evalboard.data.sql import Queries
from evalboard.data.views import canonical_columns, sql_literal

ROLLUP_QUERY = "sample_rollup"  # per-file counts the aggregate queries read (docs/ARCHITECTURE.md, "Rollups")
ROLLUP_VERSION = 1  # bump when sample_rollup.sql changes: cached rollup files are keyed by it


class Rollups:
    """The rollups of one dataset folder's samples files, defining the connection's `sample_counts`."""

    def __init__(self, root: Path, con: duckdb.DuckDBPyConnection, queries: Queries) -> None:
        self.root = root
        self._con = con
        self._queries = queries
        self._rollups: dict[Key, pa.Table] = {}  # per good samples file: its counts

    def sql(self, source: str) -> str:
        return self._queries.text(ROLLUP_QUERY).replace("rollup_source", f"{source} AS rollup_source")

    def build(self, entries: tuple, good: list[tuple[FileStatus, FileCheck]], rollups: bool) -> None:
        """Define `sample_counts`: the union of the good files' rollups, or (`rollups` False: turned off, or some
        sample id occurs twice, which a per-file count cannot leave out) the same counts by a scan of `samples`."""
        if not rollups or not good:
            self._rollups.clear()
            self._con.execute(f"CREATE OR REPLACE VIEW sample_counts AS {self.sql('samples')}")
            return
        columns = {st.path: c.columns for st, c in good}
        keys = good_keys(entries, good)
        known = self._rollups
        self._rollups = {key: known[key] if key in known else self._rollup(*key, columns[key[0]]) for key in keys}
        prune(self.root / ROLLUP_DIR, "rollup-*.parquet", {self.path(*key) for key in keys})
        union = pa.concat_tables(list(self._rollups.values()), promote_options="permissive")
        self.install(union)

    def install(self, counts: pa.Table) -> None:
        """Make `counts` (rollup rows: plain files' or a Delta table's) the `sample_counts` the queries read."""
        self._con.register("_rollup_arrow", counts)
        try:
            self._con.execute("CREATE OR REPLACE TABLE _rollup AS SELECT * FROM _rollup_arrow")
        finally:
            self._con.unregister("_rollup_arrow")
        self._con.execute("CREATE OR REPLACE VIEW sample_counts AS SELECT * FROM _rollup")

    def path(self, path: Path, mtime: int, size: int) -> Path:
        name = f"{ROLLUP_VERSION}|{path.relative_to(self.root)}|{mtime}|{size}"
        return self.root / ROLLUP_DIR / f"rollup-{hashlib.sha256(name.encode()).hexdigest()[:32]}.parquet"

    def _rollup(self, path: Path, mtime: int, size: int, columns: frozenset[str]) -> pa.Table:
        """One samples file's counts: read from DATA/.index/rollups/ if built before, else built and saved there
        (kept in memory only when the folder is read-only)."""
        cached = self.path(path, mtime, size)
        with contextlib.suppress(Exception):  # absent, or damaged: build it again
            return pq.read_table(cached)
        select = (
            f"(SELECT {', '.join(canonical_columns('samples', columns))} FROM read_parquet([{sql_literal(str(path))}]))"
        )
        table = self._con.sql(self.sql(select)).to_arrow_table()
        save(table, cached)
        return table
