"""Delta tables (docs/ARCHITECTURE.md, "Delta tables"): a dataset is a local folder or `s3://bucket/prefix`; a table
at `<dataset>/<table>/` holding `_delta_log/` is a Delta table, read through delta-rs (`deltalake`) as a pyarrow
dataset that DuckDB scans. Credentials and endpoint come only from the standard AWS environment; no message here
ever holds one."""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from evalboard.core.exit_codes import EXIT_BAD_INPUT
from evalboard.core.location import DELTA_LOG, Location, StorageError, parse, storage_error, storage_options
from evalboard.core.manifest import MANIFEST_NAME
from evalboard.data import objects


def is_delta(location: Location, table: str) -> bool:
    """Whether `<dataset>/<table>` is a Delta table: locally, it holds `_delta_log/`; on S3, its log can be read."""
    if location.path is not None:
        return (location.path / table / DELTA_LOG).is_dir()
    return _load(location, table) is not None


def _load(location: Location, table: str) -> DeltaTable | None:
    """The table at its newest version; None when there is none. Raises StorageError. (The constructor and
    TableNotFoundError, never `DeltaTable.is_deltatable`: that keeps Python's GIL while it waits on the network, which
    stalls an S3 server in the same process — the tests' — until it times out.)"""
    try:
        return DeltaTable(location.table_uri(table), storage_options=storage_options() if location.remote else None)
    except TableNotFoundError:
        return None
    except Exception as exc:  # delta-rs raises OSError / DeltaError with the whole HTTP exchange in the text
        raise storage_error(exc, location) from None


def open_table(location: Location, table: str, version: int | str | None = None) -> DeltaTable | None:
    """The Delta table (at `version`: a number, or an ISO 8601 time, UTC unless it says), or None when there is
    none. Raises StorageError: kind "version" when the table has no such version (or none that old)."""
    if location.path is not None and not is_delta(location, table):
        return None
    dt = _load(location, table)
    if dt is None or version is None:
        return dt
    number = version if isinstance(version, int) else version_at(dt, parse_time(version))
    if number is None:
        raise StorageError(f"the {table} table of {location} did not exist yet at {version}", "version", EXIT_BAD_INPUT)
    try:
        dt.load_as_version(number)
    except Exception as exc:
        if isinstance(exc, OSError):
            raise storage_error(exc, location) from None
        missing = f"the {table} table of {location} has no version {version}"
        raise StorageError(missing, "version", EXIT_BAD_INPUT) from None
    return dt


def version_at(latest: DeltaTable, when: datetime) -> int | None:
    """The newest version of a table (opened at its newest) committed at or before `when`, by the commit times its
    log records (delta-rs's own time travel goes by the log files' modification times: whole seconds on S3)."""
    stamp = when.timestamp() * 1000
    for entry in latest.history():  # newest first
        if entry.get("timestamp", 0) <= stamp and entry.get("version", -1) >= 0:
            return int(entry["version"])
    return None


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (`2026-12-03T14:02`, `…Z`, `…+01:00`); without a zone it is UTC. Raises ValueError."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def arrow_dataset(dt: DeltaTable) -> ds.Dataset:
    return dt.to_pyarrow_dataset()


def version_time(dt: DeltaTable) -> datetime | None:
    """When the version of a table opened at its newest was committed (UTC), from its log. (delta-rs numbers the
    history of a table loaded at an older version wrongly: use `commit_time` for those.)"""
    history = dt.history(1)
    stamp = history[0].get("timestamp") if history else None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None


def commit_time(location: Location, table: str, version: int) -> datetime | None:
    """When `version` of the table was committed (UTC), read from the newest history."""
    latest = open_table(location, table)
    if latest is None or version > latest.version():
        return None
    history = latest.history(latest.version() - version + 1)
    entry = next((h for h in history if h.get("version") == version), None)
    stamp = entry.get("timestamp") if entry else None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None


def _next_commit(location: Location, version: int) -> str | None:
    """Just before the samples table's commit after `version` (an ISO time), or None when `version` is the newest."""
    latest = open_table(location, "samples")
    if latest is None or latest.version() <= version:
        return None
    when = commit_time(location, "samples", version + 1)
    return (when - timedelta(milliseconds=1)).isoformat() if when else None


def commits_since(dt: DeltaTable, version: int) -> int:
    """How many commits the table has after `version` (its latest version minus `version`)."""
    return max(0, dt.version() - version)


def cache_dir(dataset: str) -> Path:
    """Where a replica keeps derived data (rollups, repeated ids) of a remote dataset: on its own local disk, under
    $XDG_CACHE_HOME/evalboard/ (default ~/.cache), one folder per dataset URI."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(parse(dataset, strict=False).uri.encode()).hexdigest()[:16]
    return base / "evalboard" / key


@dataclass(frozen=True, order=True)
class DeltaFile:
    """One data file of a Delta table's current version."""

    path: Path  # shown relative to the dataset
    rows: int
    size: int
    mtime: int  # ms since epoch (from the log)
    name: str = ""  # its path inside the table, as the log names it


def data_files(dataset_root: Path, table: str, dt: DeltaTable) -> list[DeltaFile]:
    """The data files of the table's version, named under `<dataset>/<table>/` as the store names files."""
    actions = pa.table(dt.get_add_actions(flatten=False)).select(
        ["path", "size_bytes", "modification_time", "num_records"]
    )
    actions = actions.to_pydict()
    paths = actions.get("path") or []
    rows = actions.get("num_records") or [0] * len(paths)
    times = [_ms(m) for m in actions.get("modification_time") or [0] * len(paths)]
    files = zip(paths, rows, actions.get("size_bytes") or [0] * len(paths), times, strict=True)
    return sorted(DeltaFile(dataset_root / table / p, int(n or 0), int(s), m, p) for p, n, s, m in files)


def plain_parquet(dt: DeltaTable) -> bool:
    """Whether the table's version is its data files and nothing more, so DuckDB's own Parquet reader can read them:
    no partition columns (their values live in the log) and reader protocol 1 (no column mapping, no deletion
    vectors)."""
    return dt.protocol().min_reader_version <= 1 and not dt.metadata().partition_columns


def _ms(stamp: object) -> int:
    return int(stamp.timestamp() * 1000) if isinstance(stamp, datetime) else int(stamp or 0)


@dataclass(frozen=True)
class TableVersion:
    """One Delta table as the store reads it: its version, when that was committed, and the newest version."""

    table: str
    version: int
    committed_at: datetime | None
    latest: int  # the newest version (more than `version` only when the store is pinned to an earlier one)


class DeltaTables:
    """The Delta tables of one dataset, each read at its newest version (or pinned: `as_of`), as pyarrow datasets
    the store registers on its DuckDB cursors under `_delta_<table>`."""

    def __init__(self, dataset: str, root: Path, tables: tuple[str, ...], as_of: int | str | None = None) -> None:
        self.location, self.root, self.names, self.as_of = parse(dataset, strict=False), root, tables, as_of
        self._tables: dict[str, DeltaTable] = {}
        self._datasets: dict[str, ds.Dataset] = {}
        self._seen: dict[str, int] = {}  # table → the version its dataset was made for
        self._files: dict[str, tuple[str, list[DeltaFile]]] = {}  # table → (`key`, the data files of that version)
        self._pinned = False

    def delta_tables(self) -> tuple[str, ...]:
        """The tables of the dataset read as Delta tables (remote: all, an absent one is empty; local: those holding
        `_delta_log/`)."""
        return self.names if self.location.remote else tuple(t for t in self.names if is_delta(self.location, t))

    def check(self) -> tuple[tuple[str, int], ...]:
        """(table, version) of each Delta table present, asking storage for new commits (unless pinned): one log
        listing per table, the tables at once (a page load waits for the slowest, not the sum). Raises StorageError."""
        if self.as_of is not None:
            self._pin()
        else:
            tables = self.delta_tables()
            found: list[DeltaTable | None] = []
            if tables:
                with ThreadPoolExecutor(len(tables)) as pool:
                    found = list(pool.map(self._newest, tables))
            for table, dt in zip(tables, found, strict=True):
                if dt is not None:
                    self._tables[table] = dt
        return tuple((t, dt.version()) for t, dt in sorted(self._tables.items()))

    def _newest(self, table: str) -> DeltaTable | None:
        """The table at its newest version (None: there is none), updated in place when opened before."""
        dt = self._tables.get(table)
        if dt is None:
            return open_table(self.location, table)
        try:
            dt.update_incremental()
        except Exception as exc:
            raise storage_error(exc, self.location) from None
        return dt

    def _pin(self) -> None:
        """Open every table as it was at `as_of`: a version number is the samples table's version (the others as
        they were when it was committed); a time applies to every table (one created later is absent). Raises
        StorageError (kind "version") for a plain dataset, or a version or time the samples table does not have."""
        if self._pinned:
            return
        if "samples" not in self.delta_tables():
            raise StorageError(
                f"{self.location} keeps plain Parquet files, which have no versions (as_of needs Delta "
                "tables: `evalboard ingest OLD --out NEW` writes them)",
                "version",
                EXIT_BAD_INPUT,
            )
        samples = open_table(self.location, "samples", self.as_of)
        if samples is None:
            raise StorageError(f"{self.location} has no samples table", "version", EXIT_BAD_INPUT)
        self._tables["samples"] = samples
        # The other tables as they were until the samples table's next version: an import's commits to its other
        # tables count with it, whichever it committed first.
        until = _next_commit(self.location, samples.version())
        for table in self.delta_tables():
            if table == "samples":
                continue
            try:
                dt = open_table(self.location, table, until)
            except StorageError as exc:
                if exc.kind != "version":
                    raise
                dt = None  # created after that time: absent then
            if dt is not None:
                self._tables[table] = dt
        self._pinned = True

    def datasets(self, skip: tuple[str, ...] = ()) -> dict[str, ds.Dataset]:
        """table → the pyarrow dataset of its current version (made again only when the version changed), but `skip`."""
        for table, dt in self._tables.items():
            if table in skip:
                self._datasets.pop(table, None)
                self._seen.pop(table, None)
                continue
            if self._seen.get(table) != dt.version():
                self._datasets[table] = arrow_dataset(dt)
                self._seen[table] = dt.version()
        return {t: d for t, d in self._datasets.items() if t not in skip}

    def version(self, table: str) -> int:
        return self._tables[table].version()

    def partitioned(self, table: str) -> bool:
        """Whether the table's files are partitioned (their partition columns' values live in the log, not in them)."""
        return bool(self._tables[table].metadata().partition_columns)

    def key(self, table: str) -> str:
        """The table's identity and version, for naming what is derived from it (a table deleted and written anew
        starts at version 0 again, under a new id)."""
        dt = self._tables[table]
        return f"{dt.metadata().id}-{dt.version()}"

    def parquet_tables(self, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The tables read as their data files by DuckDB's own Parquet reader (`plain_parquet`), but `skip`."""
        return tuple(t for t, dt in sorted(self._tables.items()) if t not in skip and plain_parquet(dt))

    def files(self, table: str) -> list[DeltaFile]:
        """The data files of the table's version, read from its log once per version (a page load asks each time)."""
        dt = self._tables.get(table)
        if dt is None:
            return []
        key = self.key(table)
        if self._files.get(table, ("", []))[0] != key:
            self._files[table] = (key, data_files(self.root, table, dt))
        return self._files[table][1]

    def versions(self) -> tuple[TableVersion, ...]:
        """Each table's version as read, with its commit time and the newest version (asked of storage when
        pinned; else the same)."""
        out = []
        for table, dt in sorted(self._tables.items()):
            latest = dt.version()
            if self._pinned:
                with_latest = open_table(self.location, table)
                latest = with_latest.version() if with_latest is not None else latest
            when = commit_time(self.location, table, dt.version()) if self._pinned else version_time(dt)
            out.append(TableVersion(table, dt.version(), when, latest))
        return tuple(out)


def manifest_folder(dataset: str | Path) -> Path:
    """The local folder holding the dataset's `dataset.toml` (title, access rules): the dataset folder itself, or
    for a remote dataset this replica's cache, where the object is fetched afresh (absent there: none is kept).
    Raises StorageError when the storage cannot be read and no copy was ever fetched."""
    location = parse(dataset, strict=False)
    if location.path is not None:
        return location.path.resolve()
    folder = cache_dir(location.uri)
    target = folder / MANIFEST_NAME
    try:
        fs, path = pafs.FileSystem.from_uri(location.table_uri(MANIFEST_NAME))
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            target.unlink(missing_ok=True)
            return folder
        objects.copy(fs, path, target)
    except (OSError, pa.ArrowException) as exc:  # unreachable: keep the copy fetched before, if any
        problem = storage_error(exc, location)
        if not target.is_file():  # never fetched: its access rules are unknown, so nothing may pass as "no rules"
            raise problem from None
        logging.getLogger(__name__).warning("%s", problem)
    return folder


def as_of_text(versions: tuple[TableVersion, ...]) -> str:
    """ "as of version 41, 2026-12-03 14:02 UTC; 3 imports since" (the samples table's version and commits after it)."""
    samples = next((v for v in versions if v.table == "samples"), None)
    if samples is None:
        return "no samples table yet"
    when = f", {samples.committed_at:%Y-%m-%d %H:%M} UTC" if samples.committed_at else ""
    since = samples.latest - samples.version
    tail = f"; {since} import{'s' if since != 1 else ''} since" if since else "; the newest"
    return f"as of version {samples.version}{when}{tail}"
