"""Delta tables (docs/ARCHITECTURE.md, "Delta tables"): a dataset is a local folder or `s3://bucket/prefix`; a table
at `<dataset>/<table>/` holding `_delta_log/` is a Delta table, read through delta-rs (`deltalake`) as a pyarrow
dataset that DuckDB scans. Credentials and endpoint come only from the standard AWS environment; no message here
ever holds one."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from evalboard.core.manifest import MANIFEST_NAME
from evalboard.core.paths import REMOTE_SCHEMES

DELTA_LOG = "_delta_log"
# How long a check of storage may keep retrying before it says storage is unreachable (delta-rs retries by default
# for minutes); a page load or a CLI run then says so in seconds.
RETRY_OPTIONS = {"max_retries": "2", "retry_timeout": "5s", "timeout": "20s", "connect_timeout": "5s"}


class StorageError(RuntimeError):
    """Storage cannot be read: unreachable, refused credentials, no such bucket. The message is one line, no secret."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "unreachable", "credentials", "bucket", "version"


def is_remote(dataset: str | Path) -> bool:
    return str(dataset).startswith(REMOTE_SCHEMES)


def table_uri(dataset: str, table: str) -> str:
    return f"{dataset.rstrip('/')}/{table}" if is_remote(dataset) else str(Path(dataset) / table)


def storage_options(dataset: str) -> dict[str, str]:
    """delta-rs options beyond what it reads from the AWS environment itself: plain HTTP when the endpoint is
    http:// (a local S3-compatible server), bounded retries."""
    if not is_remote(dataset):
        return {}
    options = dict(RETRY_OPTIONS)
    if os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        options["AWS_ALLOW_HTTP"] = "true"
    return options


def is_delta(dataset: str, table: str) -> bool:
    """Whether `<dataset>/<table>/` is a Delta table (local: it holds `_delta_log/`; remote: every table is read as
    one, an absent one is empty)."""
    return is_remote(dataset) or (Path(dataset) / table / DELTA_LOG).is_dir()


def open_table(dataset: str, table: str, version: int | str | None = None) -> DeltaTable | None:
    """The Delta table (at `version`: a number, or an ISO 8601 time, UTC unless it says), or None when there is
    none. Raises StorageError: kind "version" when the table has no such version (or none that old)."""
    try:
        dt = DeltaTable(table_uri(dataset, table), storage_options=storage_options(dataset) or None)
    except TableNotFoundError:
        return None
    except Exception as exc:  # delta-rs raises OSError / DeltaError with the whole HTTP exchange in the text
        raise storage_error(dataset, exc) from None
    if version is None:
        return dt
    number = version if isinstance(version, int) else version_at(dt, parse_time(version))
    if number is None:
        raise StorageError("version", f"the {table} table of {redact(dataset)} did not exist yet at {version}")
    try:
        dt.load_as_version(number)
    except Exception as exc:
        if isinstance(exc, OSError):
            raise storage_error(dataset, exc) from None
        raise StorageError("version", f"the {table} table of {redact(dataset)} has no version {version}") from None
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


def storage_error(dataset: str, exc: BaseException) -> StorageError:
    """One line saying what went wrong with the storage of `dataset` (never the credentials or the full request)."""
    text = str(exc)
    where = redact(dataset)
    if "NoSuchBucket" in text:
        return StorageError("bucket", f"no such bucket: {where}")
    if re.search(r"InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|403 Forbidden|ExpiredToken", text):
        return StorageError("credentials", f"storage refused the credentials for {where} (check AWS_* settings)")
    if re.search(r"(?i)error sending request|connect|timed out|retry|dns|HTTP error", text):
        return StorageError("unreachable", f"storage unreachable for {where}")
    return StorageError("unreachable", f"cannot read {where}: {text.splitlines()[0][:160]}")


def redact(dataset: str | Path) -> str:
    """The dataset as shown to people: `s3://bucket/prefix` never carries credentials; drop any `user:pass@`."""
    return re.sub(r"//[^/@]*@", "//", str(dataset))


def arrow_dataset(dt: DeltaTable) -> ds.Dataset:
    return dt.to_pyarrow_dataset()


def version_time(dt: DeltaTable) -> datetime | None:
    """When the version of a table opened at its newest was committed (UTC), from its log. (delta-rs numbers the
    history of a table loaded at an older version wrongly: use `commit_time` for those.)"""
    history = dt.history(1)
    stamp = history[0].get("timestamp") if history else None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None


def commit_time(dataset: str, table: str, version: int) -> datetime | None:
    """When `version` of the table was committed (UTC), read from the newest history."""
    latest = open_table(dataset, table)
    if latest is None or version > latest.version():
        return None
    history = latest.history(latest.version() - version + 1)
    entry = next((h for h in history if h.get("version") == version), None)
    stamp = entry.get("timestamp") if entry else None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None


def _next_commit(dataset: str, version: int) -> str | None:
    """Just before the samples table's commit after `version` (an ISO time), or None when `version` is the newest."""
    latest = open_table(dataset, "samples")
    if latest is None or latest.version() <= version:
        return None
    when = commit_time(dataset, "samples", version + 1)
    return (when - timedelta(milliseconds=1)).isoformat() if when else None


def commits_since(dt: DeltaTable, version: int) -> int:
    """How many commits the table has after `version` (its latest version minus `version`)."""
    return max(0, dt.version() - version)


def cache_dir(dataset: str) -> Path:
    """Where a replica keeps derived data (rollups, repeated ids) of a remote dataset: on its own local disk, under
    $XDG_CACHE_HOME/evalboard/ (default ~/.cache), one folder per dataset URI."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(redact(dataset).encode()).hexdigest()[:16]
    return base / "evalboard" / key


@dataclass(frozen=True, order=True)
class DeltaFile:
    """One data file of a Delta table's current version."""

    path: Path  # shown relative to the dataset
    rows: int
    size: int
    mtime: int  # ms since epoch (from the log)


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
    return sorted(DeltaFile(dataset_root / table / p, int(n or 0), int(s), m) for p, n, s, m in files)


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
        self.dataset, self.root, self.names, self.as_of = dataset, root, tables, as_of
        self._tables: dict[str, DeltaTable] = {}
        self._datasets: dict[str, ds.Dataset] = {}
        self._seen: dict[str, int] = {}  # table → the version its dataset was made for
        self._pinned = False

    def delta_tables(self) -> tuple[str, ...]:
        """The tables of the dataset read as Delta tables (remote: all; local: those holding `_delta_log/`)."""
        return tuple(t for t in self.names if is_delta(self.dataset, t))

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
            return open_table(self.dataset, table)
        try:
            dt.update_incremental()
        except Exception as exc:
            raise storage_error(self.dataset, exc) from None
        return dt

    def _pin(self) -> None:
        """Open every table as it was at `as_of`: a version number is the samples table's version (the others as
        they were when it was committed); a time applies to every table (one created later is absent). Raises
        StorageError (kind "version") for a plain dataset, or a version or time the samples table does not have."""
        if self._pinned:
            return
        if "samples" not in self.delta_tables():
            raise StorageError(
                "version",
                f"{redact(self.dataset)} keeps plain Parquet files, which have no versions (as_of needs Delta "
                "tables: `evalboard ingest OLD --out NEW` writes them)",
            )
        samples = open_table(self.dataset, "samples", self.as_of)
        if samples is None:
            raise StorageError("version", f"{redact(self.dataset)} has no samples table")
        self._tables["samples"] = samples
        # The other tables as they were until the samples table's next version: an import's commits to its other
        # tables count with it, whichever it committed first.
        until = _next_commit(self.dataset, samples.version())
        for table in self.delta_tables():
            if table == "samples":
                continue
            try:
                dt = open_table(self.dataset, table, until)
            except StorageError as exc:
                if exc.kind != "version":
                    raise
                dt = None  # created after that time: absent then
            if dt is not None:
                self._tables[table] = dt
        self._pinned = True

    def datasets(self) -> dict[str, ds.Dataset]:
        """table → the pyarrow dataset of its current version (made again only when the version changed)."""
        for table, dt in self._tables.items():
            if self._seen.get(table) != dt.version():
                self._datasets[table] = arrow_dataset(dt)
                self._seen[table] = dt.version()
        return dict(self._datasets)

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

    def files(self, table: str) -> list[DeltaFile]:
        dt = self._tables.get(table)
        return data_files(self.root, table, dt) if dt is not None else []

    def versions(self) -> tuple[TableVersion, ...]:
        """Each table's version as read, with its commit time and the newest version (asked of storage when
        pinned; else the same)."""
        out = []
        for table, dt in sorted(self._tables.items()):
            latest = dt.version()
            if self._pinned:
                with_latest = open_table(self.dataset, table)
                latest = with_latest.version() if with_latest is not None else latest
            when = commit_time(self.dataset, table, dt.version()) if self._pinned else version_time(dt)
            out.append(TableVersion(table, dt.version(), when, latest))
        return tuple(out)


def manifest_folder(dataset: str | Path) -> Path:
    """The local folder holding the dataset's `dataset.toml` (title, access rules): the dataset folder itself, or
    for a remote dataset this replica's cache, where the object is fetched afresh (absent there: none is kept)."""
    if not is_remote(dataset):
        return Path(dataset).resolve()
    folder = cache_dir(str(dataset))
    target = folder / MANIFEST_NAME
    try:
        fs, path = pafs.FileSystem.from_uri(f"{str(dataset).rstrip('/')}/{MANIFEST_NAME}")
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            target.unlink(missing_ok=True)
            return folder
        with fs.open_input_stream(path) as stream:
            data = stream.read()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{MANIFEST_NAME}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except (OSError, pa.ArrowException) as exc:  # unreachable: keep the copy fetched before, if any
        logging.getLogger(__name__).warning("%s", storage_error(str(dataset), exc))
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
