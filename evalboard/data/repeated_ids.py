"""Each sample id counts once (docs/ARCHITECTURE.md, "Each sample id counts once"): which rows of the samples files
repeat an id seen before, found incrementally from each file's saved sorted id hashes and remembered in
`DATA/.index/rollups/` per set of file versions."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import FileCheck
from evalboard.data.derived import ROLLUP_DIR, prune, save, save_numpy
from evalboard.data.files import DuplicateFile, FileStatus, good_keys
from evalboard.data.views import read_parquet, sql_literal

_LOG = logging.getLogger(__name__)


def _duplicates_sql(files: list[Path], column_sets: set[frozenset[str]]) -> str:
    """CREATE the table of sample rows to leave out: every row of an id but its first, by file path order then row.

    Reads only the rows whose id hashes to a value in `_duplicate_hashes` (found by `_repeated_hashes`), so a hash
    collision between different ids is told apart here and never counts as a duplicate.
    """
    paths = "[" + ", ".join(sql_literal(str(p)) for p in files) + "]"
    src = read_parquet(files, column_sets, ", filename = true, file_row_number = true")
    return f"""
CREATE OR REPLACE TABLE _duplicate_rows AS
SELECT sample_id, filename, file_row_number
FROM (
    SELECT sample_id, filename, file_row_number,
        row_number() OVER (PARTITION BY sample_id ORDER BY list_position({paths}, filename), file_row_number) AS nth
    FROM {src}
    WHERE hash(sample_id) IN (SELECT h FROM _duplicate_hashes)
)
WHERE nth > 1"""


def _id_hashes(con: duckdb.DuckDBPyConnection, path: Path) -> np.ndarray:
    """The sorted 64-bit hashes of one samples file's sample ids (repeats kept; rows with no id left out)."""
    sql = f"SELECT hash(sample_id) AS h FROM read_parquet([{sql_literal(str(path))}]) WHERE sample_id IS NOT NULL"
    return np.sort(np.asarray(con.execute(sql).fetchnumpy()["h"], dtype=np.uint64))


def _repeated(previous: np.ndarray, kept: Iterable[np.ndarray], added: list[np.ndarray]) -> np.ndarray:
    """The hashes that occur more than once in the files `kept` and `added` (each a sorted hash array).

    `previous` must hold every hash repeated within the kept files (it is the result for an earlier set of files
    that included them). A hash repeated now either occurs twice among the added files, or once there and once in
    a kept file, or (not in any added file) twice in the kept files — and then it was repeated before too, so only
    the earlier result's hashes are counted again. The kept files are read only where the added ids fall.
    """
    # Sorted runs: a stable sort (timsort) merges them; numpy's unique would hash (10x slower here).
    new = np.sort(np.concatenate(added), kind="stable") if added else np.empty(0, np.uint64)
    found = [new[1:][new[1:] == new[:-1]]]
    fresh = _distinct(new)
    counts = np.zeros(previous.size, np.int64)
    for old in kept:
        if not old.size:
            continue
        if fresh.size:
            at = np.minimum(np.searchsorted(old, fresh), old.size - 1)
            found.append(fresh[old[at] == fresh])
        if previous.size:
            counts += np.searchsorted(old, previous, "right") - np.searchsorted(old, previous, "left")
    found.append(previous[counts >= 2])
    return _distinct(np.sort(np.concatenate(found).astype(np.uint64), kind="stable"))


def _distinct(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array."""
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if ordered.size else ordered


class RepeatedIds:
    """The repeated sample ids of one dataset folder's samples files, kept in the connection's `_duplicate_rows`."""

    def __init__(self, root: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.root = root
        self._con = con
        self._dup_key: tuple | None = None  # the good samples files (path, mtime, size) duplicates were found for
        self._dups: tuple[DuplicateFile, ...] = ()
        self._repeats: tuple[frozenset[str], np.ndarray] | None = None  # file keys → the sample id hashes they repeat

    def forget(self) -> None:
        """Find them again on the next call (a check failed half way)."""
        self._dup_key = None

    def find(self, entries: tuple, good: list[tuple[FileStatus, FileCheck]]) -> tuple[DuplicateFile, ...]:
        """Sample ids that occur more than once across the good samples files (checked again only when they change).

        Fills `_duplicate_rows` (the rows the samples view leaves out) and returns, per file, how many ids it repeats.
        """
        key = tuple(good_keys(entries, good))
        if key == self._dup_key:
            return self._dups
        files = [st.path for st, _ in good]
        dups: tuple[DuplicateFile, ...] = ()
        if files:
            self._duplicate_rows(key, files, {c.columns for _, c in good})
            counts = dict(
                self._con.execute(
                    "SELECT filename, count(DISTINCT sample_id) FROM _duplicate_rows GROUP BY filename"
                ).fetchall()
            )
            dups = tuple(DuplicateFile(p, counts[str(p)]) for p in files if str(p) in counts)
            if dups:
                _LOG.warning("%d samples files repeat sample ids; each id is counted once", len(dups))
        self._dup_key, self._dups = key, dups
        return dups

    def _duplicate_rows(self, key: tuple, files: list[Path], column_sets: set[frozenset[str]]) -> None:
        """Fill `_duplicate_rows`, from DATA/.index/ when this set of files was checked before, else by the check
        (incremental: `_repeated_hashes`; DuckDB ranks the rows only when some id hash repeats), saving its (usually
        empty) result there."""
        name = "|".join(f"{p.relative_to(self.root)}|{m}|{size}" for p, m, size in key)
        cached = self.root / ROLLUP_DIR / f"duplicates-{hashlib.sha256(name.encode()).hexdigest()[:32]}.parquet"
        with contextlib.suppress(Exception):  # absent or damaged: run the query
            rows = pq.read_table(cached)
            paths = {str(p.relative_to(self.root)): str(p) for p in files}
            rows = rows.set_column(1, "filename", pa.array([paths[f] for f in rows.column("filename").to_pylist()]))
            self._con.register("_duplicate_arrow", rows)
            try:
                self._con.execute("CREATE OR REPLACE TABLE _duplicate_rows AS SELECT * FROM _duplicate_arrow")
            finally:
                self._con.unregister("_duplicate_arrow")
            return
        repeated = self._repeated_hashes(key)
        if repeated.size:
            self._con.register("_hash_arrow", pa.table({"h": repeated}))
            try:
                self._con.execute("CREATE OR REPLACE TABLE _duplicate_hashes AS SELECT h FROM _hash_arrow")
            finally:
                self._con.unregister("_hash_arrow")
            self._con.execute(_duplicates_sql(files, column_sets))
        else:  # nothing repeats (the usual case): no need to read the ids again
            self._con.execute(
                "CREATE OR REPLACE TABLE _duplicate_rows(sample_id VARCHAR, filename VARCHAR, file_row_number BIGINT)"
            )
        rows = self._con.sql("SELECT * FROM _duplicate_rows").to_arrow_table()
        relative = [str(Path(f).relative_to(self.root)) for f in rows.column("filename").to_pylist()]
        save(rows.set_column(1, "filename", pa.array(relative, pa.string())), cached)
        prune(cached.parent, "duplicates-*.parquet", {cached})

    def _key_name(self, path: Path, mtime: int, size: int) -> str:
        return f"{path.relative_to(self.root)}|{mtime}|{size}"

    def _repeated_hashes(self, keys: tuple[tuple[Path, int, int], ...]) -> np.ndarray:
        """The sample id hashes that occur more than once across the files `keys`, incrementally: only the ids of
        files added or changed since the last check (this process's, or the one saved in DATA/.index/) are read
        from Parquet and looked up in the others' saved sorted hashes (`_repeated`)."""
        names = {self._key_name(*key): key for key in keys}
        state = self.root / ROLLUP_DIR / "repeated-ids.npz"
        if self._repeats is None:
            # absent or damaged: start from no earlier result
            with contextlib.suppress(Exception), np.load(state, allow_pickle=False) as saved:
                self._repeats = (frozenset(saved["keys"].tolist()), saved["hashes"].astype(np.uint64))
        before, previous = self._repeats or (frozenset(), np.empty(0, np.uint64))
        kept = (self._file_hashes(*names[n]) for n in names if n in before)
        added = [self._file_hashes(*names[n]) for n in names if n not in before]
        repeated = _repeated(previous, kept, added)
        self._repeats = (frozenset(names), repeated)
        with contextlib.suppress(OSError):
            save_numpy(state, keys=np.array(sorted(names), dtype=str), hashes=repeated)
        prune(state.parent, "ids-*.npy", {self._hashes_path(*key) for key in keys})
        return repeated

    def _hashes_path(self, path: Path, mtime: int, size: int) -> Path:
        name = hashlib.sha256(self._key_name(path, mtime, size).encode()).hexdigest()[:32]
        return self.root / ROLLUP_DIR / f"ids-{name}.npy"

    def _file_hashes(self, path: Path, mtime: int, size: int) -> np.ndarray:
        """One samples file's sorted id hashes: mapped from DATA/.index/rollups/ if saved before (8 bytes per id),
        else read from the file and saved there."""
        cached = self._hashes_path(path, mtime, size)
        with contextlib.suppress(Exception):  # absent, or damaged: read the file again
            hashes = np.load(cached, mmap_mode="r", allow_pickle=False)
            if hashes.dtype == np.uint64 and hashes.ndim == 1:
                return hashes
        hashes = _id_hashes(self._con, path)
        with contextlib.suppress(OSError):
            save_numpy(cached, hashes=hashes)
        return hashes
