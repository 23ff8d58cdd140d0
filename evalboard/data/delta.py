"""Delta tables (docs/ARCHITECTURE.md, "Delta tables"): a dataset is a local folder or `s3://bucket/prefix`; a table
at `<dataset>/<table>/` holding `_delta_log/` is a Delta table, read through delta-rs (`deltalake`) as a pyarrow
dataset that DuckDB scans. Credentials and endpoint come only from the standard AWS environment; no message here
ever holds one."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

REMOTE = ("s3://",)
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
    return str(dataset).startswith(REMOTE)


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
    """The Delta table (at `version`: a number, or an ISO timestamp), or None when there is none. Raises
    StorageError when storage cannot be read or the version does not exist."""
    uri = table_uri(dataset, table)
    try:
        dt = DeltaTable(uri, storage_options=storage_options(dataset) or None)
        if version is not None:
            dt.load_as_version(version if isinstance(version, int) else datetime.fromisoformat(version))
        return dt
    except TableNotFoundError:
        return None
    except Exception as exc:  # delta-rs raises OSError / DeltaError with the whole HTTP exchange in the text
        raise storage_error(dataset, exc, version) from None


def storage_error(dataset: str, exc: BaseException, version: int | str | None = None) -> StorageError:
    """One line saying what went wrong with the storage of `dataset` (never the credentials or the full request)."""
    text = str(exc)
    where = redact(dataset)
    if version is not None and re.search(r"(?i)version|timestamp|not found|invalid", text) and "S3 error" not in text:
        return StorageError("version", f"{where} has no version {version}")
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
    """When the table's current version was committed (UTC), from its log."""
    history = dt.history(1)
    stamp = history[0].get("timestamp") if history else None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None


def commits_since(dt: DeltaTable, version: int) -> int:
    """How many commits the table has after `version` (its latest version minus `version`)."""
    return max(0, dt.version() - version)


def cache_dir(dataset: str) -> Path:
    """Where a replica keeps derived data (rollups, repeated ids) of a remote dataset: on its own local disk, under
    $XDG_CACHE_HOME/evalboard/ (default ~/.cache), one folder per dataset URI."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(redact(dataset).encode()).hexdigest()[:16]
    return base / "evalboard" / key


@dataclass(frozen=True)
class DeltaFile:
    """One data file of a Delta table's current version."""

    path: Path  # shown relative to the dataset
    rows: int
    size: int
    mtime: int  # ms since epoch (from the log)


def data_files(dataset_root: Path, table: str, dt: DeltaTable) -> list[DeltaFile]:
    """The data files of the table's version, named under `<dataset>/<table>/` as the store names files."""
    actions = dt.get_add_actions(flatten=True).to_pydict()
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
        listing per table. Raises StorageError."""
        if self.as_of is not None:
            self._pin()
        else:
            for table in self.delta_tables():
                dt = self._tables.get(table)
                if dt is None:
                    dt = open_table(self.dataset, table)
                    if dt is None:
                        continue
                    self._tables[table] = dt
                else:
                    try:
                        dt.update_incremental()
                    except Exception as exc:
                        raise storage_error(self.dataset, exc) from None
        return tuple((t, dt.version()) for t, dt in sorted(self._tables.items()))

    def _pin(self) -> None:
        """Open every table as it was at `as_of`: a version number is the samples table's version (the others as
        they were when it was committed); a timestamp applies to every table. Raises StorageError (kind "version")
        for a version or time the samples table does not have."""
        if self._pinned:
            return
        at: int | str | None = self.as_of
        if isinstance(at, int):
            samples = open_table(self.dataset, "samples", at)
            if samples is None:
                raise StorageError("version", f"{redact(self.dataset)} has no Delta samples table (no versions)")
            when = version_time(samples)
            at = when.isoformat() if when else None
            self._tables["samples"] = samples
        for table in self.delta_tables():
            if table in self._tables or at is None:
                continue
            try:
                dt = open_table(self.dataset, table, at)
            except StorageError as exc:
                if exc.kind != "version":
                    raise
                dt = None  # created after that time: absent then
            if dt is not None:
                self._tables[table] = dt
        if "samples" not in self._tables:
            raise StorageError("version", f"{redact(self.dataset)} has no version as of {self.as_of}")
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
            out.append(TableVersion(table, dt.version(), version_time(dt), latest))
        return tuple(out)
