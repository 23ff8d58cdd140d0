"""The store: one DuckDB connection over a dataset folder; runs `queries/<name>.sql` with bound parameters.

The store checks every Parquet file once per change (footer + schema), hands DuckDB only the good
ones, and caches query results keyed by the folder's fingerprint, so new files show up without a
restart and a corrupt file never takes the rest of the dataset down. It never imports Streamlit.
`Store` is the facade; its parts each do one job (docs/ARCHITECTURE.md, "The store"): `files` (the folder scan,
each file's checks, damage), `repeated_ids` (each sample id once), `rollups`, `sql` (the one query loader),
`transcripts` (one sample's transcript), `views` (the views' text), `derived` (what is kept in `DATA/.index/`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake.exceptions import DeltaError

from evalboard.core.location import StorageError, is_remote, parse, storage_error
from evalboard.core.manifest import load_manifest
from evalboard.core.paths import QUERIES_DIR
from evalboard.core.schema import SAMPLES, TABLES, TRANSCRIPTS, FileCheck
from evalboard.data.delta import DeltaTables, cache_dir, manifest_folder
from evalboard.data.derived import ROLLUP_DIR, prune, save
from evalboard.data.files import (
    INGEST_LOG,
    DuplicateFile,
    FileChecks,
    FileStatus,
    Health,
    LeftOut,
    os_problem,
    read_ingest_log,
    scan,
    unusable,
    what_it_held,
)
from evalboard.data.mirror import MIRROR_DIR, mirror
from evalboard.data.repeated_ids import RepeatedIds, _repeated
from evalboard.data.rollups import ROLLUP_VERSION, Rollups
from evalboard.data.sql import Queries, QueryBug, QueryError, freeze
from evalboard.data.transcripts import TranscriptFiles
from evalboard.data.views import delta_files_sql, delta_view_sql, schema_macros, view_sql
from evalboard.data.watch import VersionWatch

MACROS = ("variables", "macros")  # queries that define macros over the views (variables: scenario variables)
# Delta tables of a remote dataset read on the storage (a pyarrow dataset), not from this replica's copies: the
# transcripts are most of a dataset's bytes, and the viewer reads one row group of them at a time.
REMOTE_READ = ("transcripts",)
RUN_SCAN_TTL = 10.0  # seconds a script run may reuse the scan made at its start (a bound for very long runs)
_CACHE_SIZE = 256
_LOG = logging.getLogger(__name__)


class Store:
    """Read-only access to one dataset folder (`samples/`, `transcripts/`, optional `dataset.toml`)."""

    def __init__(
        self, root: Path | str, queries_dir: Path = QUERIES_DIR, rollups: bool = True, as_of: int | str | None = None
    ) -> None:
        """`rollups=False`: aggregate queries scan the samples instead of reading per-file rollups (for tests).
        `root`: a folder or `s3://bucket/prefix`; `as_of`: read the Delta tables as they were at that version of the
        samples table (a number) or that time (ISO 8601), never newer (docs/ARCHITECTURE.md, "Delta tables")."""
        self.remote = is_remote(root)
        # Where the app's writes go (reviews, calibration draws): the folder, or the `s3://` URI.
        self.dataset = parse(root, strict=False).uri if self.remote else str(root)
        self.root = Path(root)  # remote: a name for messages only (s3:/bucket/prefix); never opened
        self.as_of = as_of
        # Derived data (DATA/.index/): beside a local dataset; a remote one's on this replica's own disk.
        self.index_root = cache_dir(self.dataset) if self.remote else self.root
        self.queries_dir = queries_dir
        self._use_rollups = rollups
        self._runs = threading.local()  # per script thread: when its current run started (see refresh)
        self._scanned_at: float | None = None
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET enable_progress_bar = false")  # the refresh's one-off scans would draw one on stdout
        self._lock = threading.RLock()
        self._queries = Queries(queries_dir)
        self._files = FileChecks(self.index_root)
        self._repeated_ids = RepeatedIds(self.index_root, self._con)
        self._rollup_counts = Rollups(self.index_root, self._con, self._queries)
        self._delta = DeltaTables(self.dataset, self.root, tuple(TABLES), as_of)
        # A remote dataset's new versions, probed between page loads (a pinned store's never change).
        self._watch = VersionWatch(self._delta.location, tuple(TABLES)) if self.remote and as_of is None else None
        self._copies: dict[str, tuple[str, list[Path]]] = {}  # remote table → (its version's key, its files' copies)
        self._arrow: dict[str, ds.Dataset] = {}  # the Delta tables read as pyarrow datasets (the rest as Parquet)
        self.storage_error: StorageError | None = None  # why the last check of storage failed (None: it did not)
        self._transcripts = TranscriptFiles()
        self._fingerprint: tuple | None = None
        self._health = Health(self.root, exists=False)
        self._cache: OrderedDict[tuple, pl.DataFrame] = OrderedDict()

    @property
    def _primary_sql(self) -> dict[str, str | None]:
        return self._queries.primary

    def _rollup_path(self, path: Path, mtime: int, size: int) -> Path:
        return self._rollup_counts.path(path, mtime, size)

    def _scan(self) -> tuple:
        """The plain Parquet files of a local dataset: (exists, entries, extras), as `files.scan`."""
        return scan(self.root)

    def _fingerprint_now(self) -> tuple:
        """What the data is now: the Parquet files (path, mtime, size) — plain ones, and the data files of each Delta
        table DuckDB reads as Parquet — and each Delta table's version. Raises StorageError when storage cannot be
        asked."""
        versions = self._delta.check()
        delta = set(self._delta.delta_tables()) | {t for t, _ in versions}
        if self.remote:
            return (bool(versions), self._delta_entries(), (), versions)
        exists, entries, extras = scan(self.root, skip=delta)
        return (exists, entries + self._delta_entries(), extras, versions)

    def _delta_entries(self) -> tuple:
        """`scan`'s entries for the data files of the Delta tables read as Parquet (`DeltaTables.parquet_tables`):
        a local table's files where they are; a remote one's from this replica's copies (`mirror`, fetched when the
        version changes), but its transcripts, which stay on the storage (one row group is read from there per
        transcript)."""
        entries = []
        for table in self._parquet_tables():
            files = self._delta.files(table)
            key = self._delta.key(table)
            if self.remote and self._copies.get(table, ("", []))[0] != key:
                self._copies[table] = (key, mirror(self._delta.location, table, files, self.index_root))
            paths = self._copies[table][1] if self.remote else [f.path for f in files]
            for file, path in zip(files, paths, strict=True):
                if self.remote:  # this replica's copy: known by the log's time and size, checked once
                    entries.append((table, path, file.mtime, file.size, None))
                    continue
                try:  # a local file is known by its own time and size, as a plain one: a change in place is seen
                    st = path.stat()
                    entries.append((table, path, st.st_mtime_ns, st.st_size, None))
                except OSError as exc:
                    entries.append((table, path, None, None, os_problem("a data file its log names is missing", exc)))
        return tuple(entries)

    def _parquet_tables(self) -> tuple[str, ...]:
        """The Delta tables DuckDB reads as Parquet (`DeltaTables.parquet_tables`): over a remote dataset, not the
        transcripts (`REMOTE_READ`)."""
        return self._delta.parquet_tables(skip=REMOTE_READ if self.remote else ())

    def _check(self, table: str, path: Path, mtime: int, size: int) -> tuple[FileStatus, FileCheck]:
        return self._files.check(table, path, mtime, size)

    # -- files ---------------------------------------------------------------------------------
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
                if self._watch is not None:
                    self._watch.touch(now)
                    if self._watch.fresh(now) and self._fingerprint is not None and not self._health.storage_problem:
                        self._scanned_at = now  # no new version since a probe moments ago: no check of our own
                        return self._health
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
            try:
                fingerprint = self._fingerprint_now()
                if self._watch is not None:
                    self._watch.known(dict(fingerprint[3]), now)
                if fingerprint == self._fingerprint and self._health.storage_problem is None:
                    return self._health
                return self._load_views(fingerprint)
            except StorageError as exc:  # keep serving what was read before, and say why it may be old
                _LOG.info("storage: %s", exc)  # said on every page (a notice) and by the CLI (one line)
                self.storage_error = exc
                if self._fingerprint is None:
                    self._empty_views()
                self._health = dataclasses.replace(self._health, storage_problem=str(exc))
                return self._health

    def _load_views(self, fingerprint: tuple) -> Health:
        """Check the files and versions of `fingerprint` and define the views over them (under the lock)."""
        self.storage_error = None
        exists, entries, _, _ = fingerprint
        self._files.check_data(entries)
        log_sources, log_problems = read_ingest_log(self.root / INGEST_LOG)
        checked = [
            unusable(table, p, problem or self._files.damaged[(p, m, s)], self._files.validated.get((p, m, s)))
            if problem is not None or (p, m, s) in self._files.damaged
            else self._files.check(table, p, m, s)
            for table, p, m, s, problem in entries
        ]
        checked = [
            (st if st.ok else dataclasses.replace(st, held=what_it_held(st, log_sources)), c) for st, c in checked
        ]
        files = tuple(status for status, _ in checked)
        good_ranges = {st.path: c.id_ranges for st, c in checked if st.table == "transcripts" and st.ok}
        left_out_ranges = {  # left-out transcripts files → their footers' id ranges (None: unknown)
            p: check.id_ranges if check is not None and check.problem is None else None
            for (st, _), (table, p, m, s_, _) in zip(checked, entries, strict=True)
            if table == "transcripts" and not st.ok
            for check in [self._files.validated.get((p, m, s_))]
        }
        self._transcripts.use(good_ranges, left_out_ranges)
        manifest, manifest_problem = load_manifest(manifest_folder(self.dataset) if self.remote else self.root)
        log = self.root / INGEST_LOG
        health = Health(
            self.root, exists, files, manifest, manifest_problem, log if log.is_file() else None, (), log_problems
        )
        delta_tables = set(self._delta.delta_tables())
        as_parquet = set(self._parquet_tables())
        good_samples = [(st, c) for st, c in checked if st.table == "samples" and st.ok]
        plain_entries = tuple(e for e in entries if e[0] not in delta_tables)
        plain_samples = good_samples if "samples" not in delta_tables else []
        try:  # these read the samples files (the views do not): one may have vanished or have bad data pages
            health = dataclasses.replace(health, duplicates=self._repeated_ids.find(plain_entries, plain_samples))
            rollups = self._use_rollups and not health.duplicates
        except duckdb.Error as exc:
            if self._files.find_damage(entries, ("samples",)):  # a file with bad data pages: again without it
                return self._rebuild()
            _LOG.warning("cannot check %s for repeated sample ids: %s", self.root, exc)
            self._repeated_ids.forget()
            rollups = False
        try:
            delta = self._arrow = self._delta.datasets(skip=tuple(as_parquet))
            parquet = {t: [(st, c) for st, c in checked if st.table == t and st.ok] for t in as_parquet}
            health = self._delta_views(health, delta, parquet)
        except (OSError, DeltaError, duckdb.IOException) as exc:  # storage failed while reading the new version
            raise storage_error(exc, self.dataset) from None
        for table in TABLES:
            if table in delta or table in as_parquet:
                continue
            column_sets = {c.columns for status, c in checked if status.table == table and status.ok}
            dedupe = table == "samples" and bool(health.duplicates)
            self._con.execute(view_sql(table, health.good(table), column_sets, dedupe))
        # A Delta samples table repeating ids, or read as a pyarrow dataset: its own rollups (`_delta_rollup`).
        own_rollup = "samples" in delta or ("samples" in as_parquet and bool(health.duplicates))
        try:
            self._rollup_counts.build(entries, good_samples, rollups and not own_rollup)
        except duckdb.Error as exc:
            if self._files.find_damage(entries, ("samples",)):
                return self._rebuild()
            _LOG.warning("rollups of %s not built, aggregates scan: %s", self.root, exc)
            self._rollup_counts.build(entries, good_samples, False)
        if own_rollup and self._use_rollups:
            try:
                self._delta_rollup()
            except (OSError, DeltaError, duckdb.IOException) as exc:
                raise storage_error(exc, self.dataset) from None
        if self.remote:  # the copies' paths are this replica's: each file is named as it is on the storage
            health = dataclasses.replace(health, files=tuple(self._named(f) for f in health.files))
        self._con.execute(schema_macros())
        for name in MACROS:  # macros bind to the views, so they follow them
            self._con.execute(self._queries.text(name))
        self._fingerprint, self._health = fingerprint, health
        self._cache.clear()
        return health

    def _delta_views(
        self, health: Health, delta: dict[str, ds.Dataset], parquet: dict[str, list[tuple[FileStatus, FileCheck]]]
    ) -> Health:
        """The views over the Delta tables (each sample id once) — `delta`'s pyarrow datasets, and `parquet`'s good
        data files read by DuckDB — their files and versions in `health`."""
        columns: dict[str, set[str]] = {}
        for name, dataset in delta.items():
            self._con.register(f"_delta_{name}", dataset)
            columns[name] = set(dataset.schema.names)
        for name, good in parquet.items():
            columns[name] = set().union(*(c.columns for _, c in good))
            with contextlib.suppress(duckdb.Error):  # read as a pyarrow dataset before
                self._con.unregister(f"_delta_{name}")
            self._con.execute(delta_files_sql(name, [st.path for st, _ in good], {c.columns for _, c in good}))
        for name, present in columns.items():
            self._con.execute(delta_view_sql(name, present))
        self._transcripts.use_delta(delta.get("transcripts"))
        if not columns:
            return health
        files = tuple(FileStatus(f.path, t, f.rows) for t in delta for f in self._delta.files(t))
        health = dataclasses.replace(
            health, exists=True, files=health.files + files, delta=self._delta.versions(), as_of=self.as_of
        )
        if "samples" in columns:
            repeated = self._delta_repeats()
            if repeated:
                _LOG.warning("%s repeats %d sample ids; each is counted once", self.dataset, repeated)
                self._con.execute(delta_view_sql("samples", columns["samples"], dedupe=True))
                health = dataclasses.replace(health, duplicates=(DuplicateFile(self.root / "samples", repeated),))
        return health

    def _named(self, status: FileStatus) -> FileStatus:
        """A file's status named by its place on the storage (a remote table's copy: `<dataset>/<table>/<name>`)."""
        copies = self.index_root / MIRROR_DIR
        if not status.path.is_relative_to(copies):
            return status
        return dataclasses.replace(status, path=self.root / status.path.relative_to(copies))

    def _delta_repeats(self) -> int:
        """How many sample ids the Delta samples table repeats: counted once per version, the count kept in the
        derived data beside the rollup (a new store over the same version reads it)."""
        cached = self.index_root / ROLLUP_DIR / f"delta-repeats-{self._delta.key('samples')}.txt"
        with contextlib.suppress(OSError, ValueError):
            return int(cached.read_text(encoding="ascii"))
        repeated = self._con.execute(
            "SELECT count(*) FROM (SELECT sample_id FROM _delta_samples GROUP BY sample_id HAVING count(*) > 1)"
        ).fetchall()[0][0]
        with contextlib.suppress(OSError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f".{cached.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(str(repeated), encoding="ascii")
            os.replace(tmp, cached)
            prune(cached.parent, "delta-repeats-*.txt", {cached})
        return repeated

    def _delta_rollup(self) -> None:
        """`sample_counts` over a Delta samples table that repeats ids (a per-file count cannot leave the second copy
        out) or is read as a pyarrow dataset: one rollup of the whole table per version, kept in the derived data
        (DATA/.index/, or this replica's cache for a remote dataset)."""
        folder = self.index_root / ROLLUP_DIR
        cached = folder / f"delta-rollup-{ROLLUP_VERSION}-{self._delta.key('samples')}.parquet"
        try:
            table = pq.read_table(cached)
        except Exception:  # absent or damaged: build it
            table = self._con.sql(self._rollup_counts.sql("samples")).to_arrow_table()
            save(table, cached)
            prune(folder, "delta-rollup-*.parquet", {cached})
        self._rollup_counts.install(table)

    def _empty_views(self) -> None:
        """Typed empty views of every table (storage could not be read before anything was)."""
        for table in TABLES:
            self._con.execute(view_sql(table, [], {frozenset()}))
        self._rollup_counts.build((), [], False)
        self._con.execute(schema_macros())
        for name in MACROS:
            self._con.execute(self._queries.text(name))

    def _register(self, cursor: duckdb.DuckDBPyConnection) -> None:
        """Make the Delta tables' datasets visible to a cursor (DuckDB's registrations are per connection)."""
        for name, dataset in self._arrow.items():
            cursor.register(f"_delta_{name}", dataset)

    def _rebuild(self) -> Health:
        """Check the folder again now (after a file was found damaged), whatever this run scanned before."""
        self._scanned_at = self._fingerprint = None
        return self.refresh()

    def _find_damage(self, entries: tuple, tables: tuple[str, ...]) -> bool:
        return self._files.find_damage(entries, tables)

    @property
    def health(self) -> Health:
        return self.refresh()

    # -- queries -------------------------------------------------------------------------------
    def _load(self, name: str) -> tuple[str, tuple[str, ...]]:
        """SQL text of `queries/<name>.sql` and the parameter names it binds."""
        return self._queries.load(name)

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
        key = (self._fingerprint, name, freeze(bound), extra)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            frame = self._query(self._queries.sql_for(name, bound), bound, relations)
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
                self._register(cursor)
                for rel_name, (_, build) in (relations or {}).items():
                    cursor.register(rel_name, build())
                return cursor.sql(sql, params=bound).pl()
            finally:
                cursor.close()

        try:
            return once()
        except duckdb.Error:
            with self._lock:
                fingerprint = self._fingerprint_now()
                if fingerprint == self._fingerprint and not self._files.find_damage(fingerprint[1], TABLES):
                    raise
                self._rebuild()  # files changed under it, or one was found damaged and is now left out
            return once()

    def batches(self, name: str, params: Mapping[str, Any], rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        """Run `queries/<name>.sql` uncached and stream its result (for work over whole files, e.g. indexing)."""
        sql, wanted = self._load(name)
        self.refresh()
        cursor = self._con.cursor()
        self._register(cursor)
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
        if table in self._delta.delta_tables():  # its data files, by the log's time and size, named in the dataset
            return [(f.path, f.mtime, f.size) for f in self._delta.files(table) if f.path in good]
        entries = self._fingerprint[1] if self._fingerprint else ()
        return [(p, m, size) for t, p, m, size, _ in entries if t == table and p in good]

    def transcript_rows(self, sample_id: str) -> pa.Table:
        """The transcripts row of one sample (or no row), read from the one row group that can hold it."""
        self.refresh()
        with self._lock:
            return self._transcripts.rows(sample_id)

    def transcript_left_out(self, sample_id: str) -> list[tuple[Path, bool]]:
        """The transcripts files left out that hold (True) or may hold (False) this sample's transcript."""
        self.refresh()
        with self._lock:
            return self._transcripts.left_out(sample_id)


__all__ = [
    "DuplicateFile",
    "FileStatus",
    "Health",
    "INGEST_LOG",
    "LeftOut",
    "QueryBug",
    "QueryError",
    "ROLLUP_DIR",
    "Store",
    "SAMPLES",
    "TRANSCRIPTS",
    "_repeated",
]
