"""One DuckDB connection over a dataset folder; runs `queries/<name>.sql` with bound parameters.

The store checks every Parquet file once per change (footer + schema), hands DuckDB only the good
ones, and caches query results keyed by the folder's fingerprint, so new files show up without a
restart and a corrupt file never takes the rest of the dataset down. It never imports Streamlit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evalboard.core.manifest import MANIFEST_NAME, Manifest, load_manifest
from evalboard.core.paths import QUERIES_DIR
from evalboard.core.schema import (
    AWARENESS_LABELS,
    SAMPLES,
    TABLES,
    TRANSCRIPTS,
    UNLABELLED,
    UNRECOGNISED,
    FileCheck,
    data_problem,
    validate_file,
)
from evalboard.data.data_checks import DAMAGED, DataChecks

MACROS = ("variables", "macros")  # queries that define macros over the views (variables: scenario variables)
ROLLUP_QUERY = "sample_rollup"  # per-file counts the aggregate queries read (docs/ARCHITECTURE.md, "Rollups")
ROLLUP_VERSION = 1  # bump when sample_rollup.sql changes: cached rollup files are keyed by it
ROLLUP_DIR = Path(".index") / "rollups"
RUN_SCAN_TTL = 10.0  # seconds a script run may reuse the scan made at its start (a bound for very long runs)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# A call of view_counts whose verdict source is the bound $source: with $source = 'primary' it gives exactly what
# primary_counts gives, without binding the other-source branch (queries/macros.sql).
_VIEW_COUNTS = re.compile(r"\bview_counts\(([^()]*,\s*\$source\s*)\)")
_CACHE_SIZE = 256
INGEST_LOG = "ingest_log.jsonl"
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileStatus:
    """One Parquet file of the dataset and whether the store uses it."""

    path: Path
    table: str  # "samples" or "transcripts"
    rows: int
    problem: str | None = None
    held: str = ""  # for a file left out: what it held, where knowable (rows, snapshot, family, source)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class LeftOut:
    """A file of the dataset the store cannot use, as a verdict must name it (docs/ARCHITECTURE.md, "Damaged files")."""

    file: str  # relative to the dataset folder
    table: str
    problem: str
    held: str  # what it held, where knowable ("" when nothing is)

    def __str__(self) -> str:
        return f"{self.file} ({self.table}): {self.problem}" + (f"; it held {self.held}" if self.held else "")


@dataclass(frozen=True)
class DuplicateFile:
    """A good samples file holding sample ids already seen earlier (in an earlier file by path order, or above)."""

    path: Path
    ids: int  # distinct ids whose row in this file is not counted


@dataclass(frozen=True)
class Health:
    """What the store found in the folder: used files, rejected files, the manifest."""

    root: Path
    exists: bool
    files: tuple[FileStatus, ...] = ()
    manifest: Manifest = field(default_factory=Manifest)
    manifest_problem: str | None = None
    ingest_log: Path | None = None  # written by `evalboard ingest`, one JSON line per imported source
    duplicates: tuple[DuplicateFile, ...] = ()  # rows left out so each sample id counts once
    ingest_log_problems: tuple[str, ...] = ()  # lines of the ingest log that are not JSON records (each named)

    def good(self, table: str) -> list[Path]:
        return [f.path for f in self.files if f.table == table and f.ok]

    @property
    def rejected(self) -> list[FileStatus]:
        return [f for f in self.files if not f.ok]

    @property
    def left_out(self) -> tuple[LeftOut, ...]:
        """Every file left out, named relative to the dataset folder: a verdict on the rest rests on partial data."""
        return tuple(
            LeftOut(str(f.path.relative_to(self.root)), f.table, f.problem or "", f.held) for f in self.rejected
        )

    @property
    def has_samples(self) -> bool:
        return bool(self.good("samples"))


class QueryError(RuntimeError):
    """A query failed; the message names the query and the cause."""


class QueryBug(QueryError):
    """A shipped query cannot even be parsed: a bug of evalboard's, never the data's or the caller's fault."""


def _sql_literal(text: str) -> str:
    """Quote one of our own file paths as a SQL string literal (never used for user input)."""
    return "'" + text.replace("'", "''") + "'"


def _ddl_type(t: pa.DataType) -> str:
    """DuckDB type of a canonical column (core/schema.py): for one that no file provides (so queries still bind), and
    for the types the queries cast to (`_schema_macros`)."""
    mapping = {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.bool_(): "BOOLEAN",
        pa.float64(): "DOUBLE",
        pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    }
    if t in mapping:
        return mapping[t]
    if pa.types.is_map(t):
        return "MAP(VARCHAR, VARCHAR)"
    if pa.types.is_list(t):
        return f"{_ddl_type(t.value_type)}[]"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f'"{f.name}" {_ddl_type(f.type)}' for f in t) + ")"
    raise TypeError(f"no DuckDB type for {t}")


def _schema_macros() -> str:
    """Macros of the schema's own definitions (core/schema.py), so queries/ spells none of them again: the
    canonical messages type (`as_messages`) and the eval-awareness classes (`awareness_class`, `unlabelled`)."""
    labels = ", ".join(_sql_literal(label) for label in AWARENESS_LABELS)
    return f"""
CREATE OR REPLACE MACRO as_messages(messages) AS CAST(messages AS {_ddl_type(TRANSCRIPTS.field("messages").type)});
CREATE OR REPLACE MACRO awareness_class(label) AS
    CASE WHEN label IN ({labels}) THEN label ELSE {_sql_literal(UNRECOGNISED)} END;
CREATE OR REPLACE MACRO unlabelled() AS {_sql_literal(UNLABELLED)};
"""


def _columns(table: str, present: set[str] | frozenset[str]) -> list[str]:
    """The canonical columns of `table`, NULL (typed) where none of the files has one."""
    return [f.name if f.name in present else f"CAST(NULL AS {_ddl_type(f.type)}) AS {f.name}" for f in TABLES[table]]


def _read_parquet(files: list[Path], column_sets: set[frozenset[str]], extra: str = "") -> str:
    # union_by_name costs a little on every scan: only ask for it when the files' columns differ.
    by_name = ", union_by_name = true" if len(column_sets) > 1 else ""
    return f"read_parquet([{', '.join(_sql_literal(str(p)) for p in files)}]{by_name}{extra})"


def _view_sql(table: str, files: list[Path], column_sets: set[frozenset[str]], dedupe: bool = False) -> str:
    """CREATE VIEW over the good files, with NULL columns for canonical columns none of them has.

    `dedupe`: leave out the rows listed in `_duplicate_rows` (a sample id seen before; docs/ARCHITECTURE.md,
    "Each sample id counts once").
    """
    cols = _columns(table, set().union(*column_sets))
    if files and dedupe:
        source = (
            f"{_read_parquet(files, column_sets, ', filename = true, file_row_number = true')} AS r "
            "ANTI JOIN _duplicate_rows AS d ON d.filename = r.filename AND d.file_row_number = r.file_row_number"
        )
        cols = [c if " AS " in c else f"r.{c}" for c in cols]
        where = ""
    elif files:
        source, where = _read_parquet(files, column_sets), ""
    else:
        source, where = "(SELECT 1)", " WHERE false"
    return f"CREATE OR REPLACE VIEW {table} AS SELECT {', '.join(cols)} FROM {source}{where}"


def _duplicates_sql(files: list[Path], column_sets: set[frozenset[str]]) -> str:
    """CREATE the table of sample rows to leave out: every row of an id but its first, by file path order then row.

    Reads only the rows whose id hashes to a value in `_duplicate_hashes` (found by `_repeated_hashes`), so a hash
    collision between different ids is told apart here and never counts as a duplicate.
    """
    paths = "[" + ", ".join(_sql_literal(str(p)) for p in files) + "]"
    src = _read_parquet(files, column_sets, ", filename = true, file_row_number = true")
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
    sql = f"SELECT hash(sample_id) AS h FROM read_parquet([{_sql_literal(str(path))}]) WHERE sample_id IS NOT NULL"
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


class Store:
    """Read-only access to one dataset folder (`samples/`, `transcripts/`, optional `dataset.toml`)."""

    def __init__(self, root: Path | str, queries_dir: Path = QUERIES_DIR, rollups: bool = True) -> None:
        """`rollups=False`: aggregate queries scan the samples instead of reading per-file rollups (for tests)."""
        self.root = Path(root)
        self.queries_dir = queries_dir
        self._use_rollups = rollups
        self._rollups: dict[tuple[Path, int, int], pa.Table] = {}  # per good samples file: its counts
        self._dup_key: tuple | None = None  # the good samples files (path, mtime, size) duplicates were found for
        self._dups: tuple[DuplicateFile, ...] = ()
        self._repeats: tuple[frozenset[str], np.ndarray] | None = None  # file keys → the sample id hashes they repeat
        self._runs = threading.local()  # per script thread: when its current run started (see refresh)
        self._scanned_at: float | None = None
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET enable_progress_bar = false")  # the refresh's one-off scans would draw one on stdout
        self._lock = threading.RLock()
        self._validated: dict[tuple[Path, int, int], FileCheck] = {}
        self._data_checks = DataChecks(self.root)  # each file version's data pages read once (DATA/.index/)
        # Files whose footer reads but whose data does not (found when a query over them fails): left out.
        self._damaged: dict[tuple[Path, int, int], str] = {}
        self._read_whole: set[tuple[Path, int, int]] = set()  # files read to the end without an error
        # Good transcripts files → their row groups' sample_id ranges (None: no statistics).
        self._id_ranges: dict[Path, tuple[tuple[str, str], ...] | None] = {}
        self._left_out_ranges: dict[Path, tuple[tuple[str, str], ...] | None] = {}
        self._open_files: dict[Path, pq.ParquetFile] = {}
        self._fingerprint: tuple | None = None
        self._health = Health(self.root, exists=False)
        self._cache: OrderedDict[tuple, pl.DataFrame] = OrderedDict()
        self._sql: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._primary_sql: dict[str, str | None] = {}  # query name → its text for $source = 'primary', if it differs

    # -- files ---------------------------------------------------------------------------------
    def _scan(self) -> tuple:
        """(table, path, mtime, size, problem) of every Parquet file plus the manifest: changes when data changes.

        A path that cannot be a readable file gets a problem instead of a size: a dangling symbolic link, a
        directory or FIFO named `*.parquet`, a file that vanished since it was listed. Nothing here opens a
        file, so a FIFO cannot block the scan.
        """
        entries = []
        for table in TABLES:
            folder = self.root / table
            try:
                paths = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
            except OSError as exc:  # the folder changed or became unreadable while being listed
                _LOG.warning("cannot list %s: %s", folder, exc)
                paths = []
            for p in paths:
                try:
                    st = p.stat()  # follows symbolic links
                except OSError as exc:
                    gone = "a symbolic link to a missing file" if p.is_symlink() else "the file vanished while listed"
                    entries.append((table, p, None, None, _problem(gone, exc)))
                    continue
                if stat.S_ISDIR(st.st_mode):
                    entries.append((table, p, st.st_mtime_ns, None, "a directory, not a Parquet file"))
                elif not stat.S_ISREG(st.st_mode):
                    entries.append((table, p, st.st_mtime_ns, None, "not a regular file (e.g. a pipe or device)"))
                else:
                    entries.append((table, p, st.st_mtime_ns, st.st_size, None))
        extras = []
        for name in (MANIFEST_NAME, INGEST_LOG):
            with contextlib.suppress(OSError):  # absent (or vanished): the fingerprint says so
                extras.append((name, (self.root / name).stat().st_mtime_ns))
        return (self.root.is_dir(), tuple(entries), tuple(extras))

    def _check(self, table: str, path: Path, mtime: int, size: int) -> tuple[FileStatus, FileCheck]:
        """Validate one file (once per mtime/size); return its status and what validation found."""
        key = (path, mtime, size)
        if key not in self._validated:
            self._validated[key] = validate_file(path, table)
        check = self._validated[key]
        problem = check.problem.reason.replace(f"{self.root}{os.sep}", "") if check.problem else None
        if problem:
            _LOG.warning("left out %s: %s", path, check.problem.reason)
        return FileStatus(path, table, check.rows, problem), check

    def refresh(self, new_run: bool = False) -> Health:
        """Re-check the folder; rebuild the views if any file changed. Cheap when nothing did.

        `new_run=True` marks the start of a script run (app.py, first thing): the folder is scanned now and
        the rest of that run, in the same thread, reuses the scan instead of listing the folder again on every
        query. A run never sees a file set older than its own start; other callers scan every time.
        """
        with self._lock:
            now = time.monotonic()
            if new_run:
                self._runs.started = now
            else:
                started = getattr(self._runs, "started", None)
                if (
                    started is not None
                    and self._scanned_at is not None
                    and self._scanned_at >= started
                    and now - started < RUN_SCAN_TTL
                ):
                    return self._health
            self._scanned_at = now
            fingerprint = self._scan()
            if fingerprint == self._fingerprint:
                return self._health
            exists, entries, _ = fingerprint
            self._check_data(entries)
            log_sources, log_problems = read_ingest_log(self.root / INGEST_LOG)
            checked = [
                _unusable(table, p, problem or self._damaged[(p, m, s)], self._validated.get((p, m, s)))
                if problem is not None or (p, m, s) in self._damaged
                else self._check(table, p, m, s)
                for table, p, m, s, problem in entries
            ]
            checked = [(st if st.ok else dataclasses.replace(st, held=_held(st, log_sources)), c) for st, c in checked]
            files = tuple(status for status, _ in checked)
            self._id_ranges = {st.path: c.id_ranges for st, c in checked if st.table == "transcripts" and st.ok}
            self._left_out_ranges = {  # left-out transcripts files → their footers' id ranges (None: unknown)
                p: check.id_ranges if check is not None and check.problem is None else None
                for (st, _), (table, p, m, s_, _) in zip(checked, entries, strict=True)
                if table == "transcripts" and not st.ok
                for check in [self._validated.get((p, m, s_))]
            }
            self._open_files.clear()
            manifest, manifest_problem = load_manifest(self.root)
            log = self.root / INGEST_LOG
            health = Health(
                self.root, exists, files, manifest, manifest_problem, log if log.is_file() else None, (), log_problems
            )
            good_samples = [(st, c) for st, c in checked if st.table == "samples" and st.ok]
            try:  # these read the samples files (the views do not): one may have vanished or have bad data pages
                health = dataclasses.replace(health, duplicates=self._find_duplicates(entries, good_samples))
                rollups = self._use_rollups and not health.duplicates
            except duckdb.Error as exc:
                if self._find_damage(entries, ("samples",)):  # a file with bad data pages: again without it
                    return self._rebuild()
                _LOG.warning("cannot check %s for repeated sample ids: %s", self.root, exc)
                self._dup_key, rollups = None, False
            for table in TABLES:
                column_sets = {c.columns for status, c in checked if status.table == table and status.ok}
                dedupe = table == "samples" and bool(health.duplicates)
                self._con.execute(_view_sql(table, health.good(table), column_sets, dedupe))
            try:
                self._build_counts(entries, good_samples, rollups)
            except duckdb.Error as exc:
                if self._find_damage(entries, ("samples",)):
                    return self._rebuild()
                _LOG.warning("rollups of %s not built, aggregates scan: %s", self.root, exc)
                self._build_counts(entries, good_samples, False)
            self._con.execute(_schema_macros())
            for name in MACROS:  # macros bind to the views, so they follow them
                self._con.execute(self._load(name)[0])
            self._fingerprint, self._health = fingerprint, health
            self._cache.clear()
            return health

    def _check_data(self, entries: tuple) -> None:
        """Read the data pages of every file version not read before (`DataChecks`: once, remembered in DATA/.index/)
        and mark each that does not decode damaged: a damaged file is named as soon as the store opens the folder,
        not when a query happens to meet it."""
        usable = []
        for table, path, mtime, size, problem in entries:
            key = (path, mtime, size)
            if problem is None:
                if key not in self._validated:
                    self._validated[key] = validate_file(path, table)
                if self._validated[key].problem is None:
                    usable.append(key)  # damaged ones too: their saved result is kept, not read again
        for key, bad in self._data_checks.problems(usable, prune=True).items():
            if bad is not None and key not in self._damaged:
                self._damaged[key] = bad
                _LOG.warning("left out %s: %s", key[0], bad)

    def _rebuild(self) -> Health:
        """Check the folder again now (after a file was found damaged), whatever this run scanned before."""
        self._scanned_at = self._fingerprint = None
        return self.refresh()

    def _find_damage(self, entries: tuple, tables: tuple[str, ...]) -> bool:
        """Read each usable file of `tables` not read whole before, row group by row group; a file whose data
        cannot be read (its footer can: bit rot, a bad copy) is marked damaged and left out from then on.
        Only called after a query failed, so a dataset without damage is read whole at most once."""
        found = False
        for table, path, mtime, size, problem in entries:
            key = (path, mtime, size)
            check = self._validated.get(key)
            if table not in tables or problem or key in self._damaged or key in self._read_whole:
                continue
            if check is None or check.problem:
                continue
            bad = data_problem(path)
            if bad is None:
                self._read_whole.add(key)
                continue
            self._damaged[key] = f"{DAMAGED} ({bad})"
            self._data_checks.record(key, self._damaged[key])
            _LOG.warning("left out %s: %s", path, self._damaged[key])
            found = True
        return found

    @property
    def health(self) -> Health:
        return self.refresh()

    # -- each sample id once; rollups ----------------------------------------------------------
    @staticmethod
    def _keys(entries: tuple, good: list[tuple[FileStatus, FileCheck]]) -> list[tuple[Path, int, int]]:
        paths = {st.path for st, _ in good}
        return [(p, m, size) for t, p, m, size, _ in entries if t == "samples" and p in paths]

    def _find_duplicates(self, entries: tuple, good: list[tuple[FileStatus, FileCheck]]) -> tuple[DuplicateFile, ...]:
        """Sample ids that occur more than once across the good samples files (checked again only when they change).

        Fills `_duplicate_rows` (the rows the samples view leaves out) and returns, per file, how many ids it repeats.
        """
        key = tuple(self._keys(entries, good))
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
        _save(rows.set_column(1, "filename", pa.array(relative, pa.string())), cached)
        _prune(cached.parent, "duplicates-*.parquet", {cached})

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
            _save_numpy(state, keys=np.array(sorted(names), dtype=str), hashes=repeated)
        _prune(state.parent, "ids-*.npy", {self._hashes_path(*key) for key in keys})
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
            _save_numpy(cached, hashes=hashes)
        return hashes

    def _rollup_sql(self, source: str) -> str:
        return self._load(ROLLUP_QUERY)[0].replace("rollup_source", f"{source} AS rollup_source")

    def _build_counts(self, entries: tuple, good: list[tuple[FileStatus, FileCheck]], rollups: bool) -> None:
        """Define `sample_counts`: the union of the good files' rollups, or (`rollups` False: turned off, or some
        sample id occurs twice, which a per-file count cannot leave out) the same counts by a scan of `samples`."""
        if not rollups or not good:
            self._rollups.clear()
            self._con.execute(f"CREATE OR REPLACE VIEW sample_counts AS {self._rollup_sql('samples')}")
            return
        columns = {st.path: c.columns for st, c in good}
        keys = self._keys(entries, good)
        known = self._rollups
        self._rollups = {key: known[key] if key in known else self._rollup(*key, columns[key[0]]) for key in keys}
        _prune(self.root / ROLLUP_DIR, "rollup-*.parquet", {self._rollup_path(*key) for key in keys})
        union = pa.concat_tables(list(self._rollups.values()), promote_options="permissive")
        self._con.register("_rollup_arrow", union)
        try:
            self._con.execute("CREATE OR REPLACE TABLE _rollup AS SELECT * FROM _rollup_arrow")
        finally:
            self._con.unregister("_rollup_arrow")
        self._con.execute("CREATE OR REPLACE VIEW sample_counts AS SELECT * FROM _rollup")

    def _rollup_path(self, path: Path, mtime: int, size: int) -> Path:
        name = f"{ROLLUP_VERSION}|{path.relative_to(self.root)}|{mtime}|{size}"
        return self.root / ROLLUP_DIR / f"rollup-{hashlib.sha256(name.encode()).hexdigest()[:32]}.parquet"

    def _rollup(self, path: Path, mtime: int, size: int, columns: frozenset[str]) -> pa.Table:
        """One samples file's counts: read from DATA/.index/rollups/ if built before, else built and saved there
        (kept in memory only when the folder is read-only)."""
        cached = self._rollup_path(path, mtime, size)
        with contextlib.suppress(Exception):  # absent, or damaged: build it again
            return pq.read_table(cached)
        select = f"(SELECT {', '.join(_columns('samples', columns))} FROM read_parquet([{_sql_literal(str(path))}]))"
        table = self._con.sql(self._rollup_sql(select)).to_arrow_table()
        _save(table, cached)
        return table

    # -- queries -------------------------------------------------------------------------------
    def _load(self, name: str) -> tuple[str, tuple[str, ...]]:
        """SQL text of `queries/<name>.sql` and the parameter names it binds."""
        if name not in self._sql:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise QueryError(f"bad query name {name!r}")
            path = self.queries_dir / f"{name}.sql"
            sql = path.read_text(encoding="utf-8")
            code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
            self._sql[name] = (sql, tuple(dict.fromkeys(_PARAM.findall(code))))
            primary = _VIEW_COUNTS.sub(r"primary_counts(\1)", sql)
            self._primary_sql[name] = primary if primary != sql else None
        return self._sql[name]

    def _sql_for(self, name: str, bound: Mapping[str, Any]) -> str:
        """The text to run: for the primary verdict, view_counts(…, $source) read as primary_counts(…, $source)."""
        sql = self._load(name)[0]
        primary = self._primary_sql[name] if bound.get("source") == "primary" else None
        return primary or sql

    def run(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        relations: Mapping[str, tuple[Hashable, Callable[[], pa.Table]]] | None = None,
    ) -> pl.DataFrame:
        """Run `queries/<name>.sql` with bound parameters; results are cached until the data changes.

        `relations` names Arrow tables the SQL reads (e.g. ids found by the search index), each as (a key that
        identifies its content, for the cache; a function that builds it, called only on a cache miss).
        """
        params = params or {}
        sql, wanted = self._load(name)
        missing = [p for p in wanted if p not in params]
        if missing:
            raise QueryError(f"query {name!r} needs parameters {missing}")
        bound = {p: params[p] for p in wanted}
        self.refresh()
        extra = tuple(sorted((k, v[0]) for k, v in (relations or {}).items()))
        key = (self._fingerprint, name, _freeze(bound), extra)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            frame = self._query(self._sql_for(name, bound), bound, relations)
        except duckdb.ParserException as exc:
            raise QueryBug(f"query {name!r} is broken: {exc}") from exc
        except duckdb.Error as exc:
            _LOG.error("query %r failed on %s with %s: %s", name, self.root, bound, exc)
            raise QueryError(f"query {name!r} failed: {str(exc).replace(f'{self.root}{os.sep}', '')}") from exc
        with self._lock:
            self._cache[key] = frame
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return frame

    def _query(self, sql: str, bound: Mapping[str, Any], relations: Mapping[str, Any] | None = None) -> pl.DataFrame:
        """Run once; if it fails because files changed under it (one vanished), re-check the folder and retry."""

        def once() -> pl.DataFrame:
            cursor = self._con.cursor()
            try:
                for rel_name, (_, build) in (relations or {}).items():
                    cursor.register(rel_name, build())
                return cursor.sql(sql, params=bound).pl()
            finally:
                cursor.close()

        try:
            return once()
        except duckdb.Error:
            with self._lock:
                fingerprint = self._scan()
                if fingerprint == self._fingerprint and not self._find_damage(fingerprint[1], TABLES):
                    raise
                self._rebuild()  # files changed under it, or one was found damaged and is now left out
            return once()

    def batches(self, name: str, params: Mapping[str, Any], rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        """Run `queries/<name>.sql` uncached and stream its result (for work over whole files, e.g. indexing)."""
        sql, wanted = self._load(name)
        self.refresh()
        cursor = self._con.cursor()
        try:
            yield from cursor.sql(sql, params={p: params[p] for p in wanted}).to_arrow_reader(rows)
        except duckdb.Error as exc:
            raise QueryError(f"query {name!r} failed on {self.root}: {exc}") from exc
        finally:
            cursor.close()

    def good_files(self, table: str) -> list[tuple[Path, int, int]]:
        """(path, mtime_ns, size) of each file of `table` the store uses: what a derived index is keyed by."""
        health = self.refresh()
        good = set(health.good(table))
        entries = self._fingerprint[1] if self._fingerprint else ()
        return [(p, m, size) for t, p, m, size, _ in entries if t == table and p in good]

    def transcript_rows(self, sample_id: str) -> pa.Table:
        """The transcripts row of one sample (or no row), read from the one row group that can hold it.

        Transcript files are sorted by sample_id, so each row group's id range (from the footer, read once
        per file change) points at a single group. Asking DuckDB instead re-parses a large footer on every
        call (~90 ms for 500 row groups), over the 50 ms budget. Strings are returned unvalidated; the
        caller decodes them leniently, since model output may not be valid UTF-8.
        """
        self.refresh()
        with self._lock:
            for path, ranges in self._id_ranges.items():
                try:
                    hit = self._find_in(path, ranges, sample_id)
                except OSError as exc:  # vanished or changed since it was checked; the next refresh names it
                    _LOG.warning("cannot read %s: %s", path, exc)
                    self._open_files.pop(path, None)
                    continue
                if hit is not None:
                    return hit
        return TRANSCRIPTS.empty_table()

    def transcript_left_out(self, sample_id: str) -> list[tuple[Path, bool]]:
        """The transcripts files left out that hold this sample's transcript (True: by their footer's id ranges) or
        may hold it (False: nothing says which ids they hold), for the viewer to say why a transcript is missing."""
        self.refresh()
        with self._lock:
            return [
                (path, ranges is not None)
                for path, ranges in self._left_out_ranges.items()
                if ranges is None or any(low <= sample_id <= high for low, high in ranges)
            ]

    def _find_in(self, path: Path, ranges: tuple[tuple[str, str], ...] | None, sample_id: str) -> pa.Table | None:
        groups = range(self._parquet(path).num_row_groups) if ranges is None else [
            i for i, (low, high) in enumerate(ranges) if low <= sample_id <= high
        ]  # fmt: skip
        for group in groups:
            rows = self._parquet(path).read_row_group(group, columns=["sample_id", "messages"])
            hit = rows.filter(pc.equal(rows.column("sample_id"), sample_id))
            if hit.num_rows:
                return hit.slice(0, 1)
        return None

    def _parquet(self, path: Path) -> pq.ParquetFile:
        if path not in self._open_files:
            self._open_files[path] = pq.ParquetFile(path)
        return self._open_files[path]


def _save(table: pa.Table, path: Path) -> None:
    """Write a derived table beside the data (temporary name, then rename); a read-only folder keeps it in memory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _LOG.info("%s kept in memory only: %s", path.name, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def _save_numpy(path: Path, **arrays: np.ndarray) -> None:
    """Save one array (`.npy`) or several (`.npz`) beside the data, as `_save` does (raises OSError when read-only)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            if path.suffix == ".npy":
                np.save(out, *arrays.values(), allow_pickle=False)
            else:
                np.savez(out, **arrays)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _prune(folder: Path, pattern: str, keep: set[Path]) -> None:
    """Remove derived files of files that changed or went away (another store rebuilds what it still needs)."""
    with contextlib.suppress(OSError):
        for path in folder.glob(pattern):
            if path not in keep:
                path.unlink(missing_ok=True)


def read_ingest_log(path: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """The ingest log's part file names → the source each was imported from, and its bad lines, each named
    ("line 7: not a JSON record (cut short?)"); a missing log gives neither. One bad line never hides the rest."""
    sources: dict[str, str] = {}
    problems: list[str] = []
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                    if not isinstance(line, dict):
                        raise ValueError("not an object")
                except ValueError:
                    problems.append(f"line {number}: not a JSON record (cut short or edited by hand)")
                    continue
                files = line.get("files")
                for name in files if isinstance(files, list) else ():
                    sources[str(name)] = str(line.get("source", ""))
    except OSError:
        pass
    return sources, tuple(problems)


def _held(status: FileStatus, sources: Mapping[str, str]) -> str:
    """What a left-out file held, where knowable: its rows and (samples) snapshots and families from the footer's
    statistics, and the source `evalboard ingest` imported it from."""
    parts = []
    if status.rows:
        parts.append(f"{status.rows:,} {'samples' if status.table == 'samples' else 'rows'}")
    if status.table == "samples":
        parts += _footer_values(status.path, ("snapshot", "intervention", "scenario_family"))
    source = sources.get(status.path.name)
    if source:
        parts.append(f"imported from {source}")
    return ", ".join(parts)


def _footer_values(path: Path, columns: tuple[str, ...]) -> list[str]:
    """'snapshot atlas' (one value) or 'scenario_family blackmail … murder' (a range), from row-group statistics."""
    out = []
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe or device would block the read: nothing to know
            return out
        meta = pq.read_metadata(path)
        names = meta.schema.to_arrow_schema().names
    except Exception:  # the footer itself does not read: nothing is knowable from it
        return out
    for column in columns:
        if column not in names:
            continue
        index, lows, highs = names.index(column), [], []
        for group in range(meta.num_row_groups):
            stats = meta.row_group(group).column(index).statistics
            if stats is None or not stats.has_min_max:
                break
            lows.append(stats.min)
            highs.append(stats.max)
        else:
            if lows:
                low, high = min(lows), max(highs)
                out.append(f"{column} {low!r}" if low == high else f"{column} {low!r} … {high!r}")
    return out


def _problem(what: str, exc: OSError) -> str:
    return f"{what} ({exc.strerror or type(exc).__name__})"


def _unusable(table: str, path: Path, problem: str, footer: FileCheck | None = None) -> tuple[FileStatus, FileCheck]:
    """The status of a path that is not a readable file, or (`footer`: its footer's check) whose data is damaged."""
    return FileStatus(path, table, footer.rows if footer else 0, problem), FileCheck(0, None, frozenset(), None)


def _freeze(value: Any) -> Any:
    """Hashable form of bound parameters, for the cache key."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_freeze(v) for v in value)
    return value


__all__ = [
    "DuplicateFile",
    "FileStatus",
    "Health",
    "LeftOut",
    "QueryBug",
    "QueryError",
    "Store",
    "SAMPLES",
    "TRANSCRIPTS",
]
