"""Writing a dataset's Delta tables (docs/ARCHITECTURE.md, "Dataset locations and Delta tables"): appends through
delta-rs, the keys a table already holds, and on S3 the ingest log and the quarantine as tables of JSON lines.

Every append is one Delta commit: its data files are written first and become visible only when the commit's log
entry is created — by an atomic rename-if-absent on a local disk, by a conditional put (`If-None-Match`) on S3 — so a
killed writer leaves all of a commit or none of it, and concurrent writers are ordered by the log with no lock of ours.
A storage failure becomes `location.StorageError`, whose message is one line naming no credential
(`location.storage_error`); which tables are Delta and opening one are the reading side's (`delta.is_delta`,
`delta.open_table`): this module appends, and says which keys a table already holds (`present`), leaving a data file
that cannot be read out of that check and naming it (`LeftOut`).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError

from evalboard.core.location import Location, storage_error, storage_options
from evalboard.core.paths import QUERIES_DIR
from evalboard.core.schema import TABLES
from evalboard.data.delta import is_delta, open_table

# The ingest log and the quarantine of a dataset on S3: one row per JSON line, with the ingest that wrote it.
LINES = pa.schema([pa.field("ingest_id", pa.string(), nullable=False), pa.field("line", pa.string(), nullable=False)])
# Rows per row group unless asked otherwise: DuckDB's own (delta-rs's ~1M would make one group of a large commit, or
# of a migrated table: one thread scans it, nothing is skipped by its statistics, its data check reads it whole).
ROW_GROUP = 122_880
COMMIT_RETRIES = 20  # a commit that loses the race to another writer's is retried against the new version
MISSING = "missing: the table's log names it, the storage does not hold it"
CREATE_ATTEMPTS = 5  # a first commit that loses the race to create the table is made again (see `append`)
_LAST_WRITE = [float("-inf")]  # when this process last began a commit (monotonic): `last_write`


def last_write() -> float:
    """When this process last began a commit (monotonic; -inf: never): a page load after it asks storage for the
    new version instead of trusting a probe from before it (evalboard/data/watch.py)."""
    return _LAST_WRITE[0]


def check_reachable(location: Location) -> None:
    """Fail early with one line when an S3 dataset's storage cannot be used (a listing of the samples table)."""
    if location.remote:
        is_delta(location, "samples")


def writes_delta(location: Location) -> bool:
    """Whether what the app writes into a dataset (reviews, calibration draws) is appended to Delta tables there: on
    S3 (no rename, no exclusive create of an object), or where the samples already are a Delta table."""
    return location.remote or is_delta(location, "samples") or is_delta(location, "reviews")


def append(
    location: Location,
    table: str,
    data: pa.Table | pa.RecordBatchReader,
    row_group_size: int | None = None,
    note: str = "",
) -> None:
    """Append `data` (of the table's canonical schema) as one commit, creating the table on the first one.

    delta-rs retries an append that loses a race to another append (`COMMIT_RETRIES`), but not one that loses the
    race to *create* the table ("Metadata changed since last commit": two writers' first commits): that one is made
    again here (`CREATE_ATTEMPTS`), now as an append to the table the other writer created. Safe: a failed commit
    wrote no log entry, so its data files are named by no version (a reader never sees them); only a refused commit
    is retried, never a failure whose outcome is unknown."""
    props = WriterProperties(compression="ZSTD", max_row_group_size=row_group_size or ROW_GROUP)
    if isinstance(data, pa.Table) and table in TABLES:
        data = data.cast(TABLES[table])
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        _LAST_WRITE[0] = time.monotonic()
        try:
            write_deltalake(
                location.table_uri(table),
                data,
                mode="append",
                storage_options=storage_options(),
                writer_properties=props,
                commit_properties=CommitProperties(
                    max_commit_retries=COMMIT_RETRIES, custom_metadata={"evalboard": note} if note else None
                ),
            )
            return
        except CommitFailedError as exc:
            if attempt == CREATE_ATTEMPTS or not isinstance(data, pa.Table) or "Metadata changed" not in str(exc):
                raise storage_error(exc, location) from exc
            time.sleep(random.uniform(0.05, 0.3) * attempt)
        except Exception as exc:
            raise storage_error(exc, location) from exc


@dataclass(frozen=True)
class Unreadable:
    """A data file of a Delta table that a check of the keys could not read (missing, truncated, garbled key
    column): left out of the check, so the keys it holds were not seen."""

    table: str
    name: str  # its path inside the table, as the log names it
    rows: int | None  # its rows by the log's num_records (None: the log does not say)
    problem: str

    def rows_text(self, log: str = "its log") -> str:
        """ "50 rows by its log" (`log` names the log as the sentence needs), or "rows unknown"."""
        return f"{self.rows:,} row{'s' if self.rows != 1 else ''} by {log}" if self.rows is not None else "rows unknown"


@dataclass
class LeftOut:
    """The data files left out of the key checks of one ingest (`present`), and those read whole, each checked once."""

    files: dict[tuple[str, str], Unreadable] = field(default_factory=dict)
    read: set[tuple[str, str]] = field(default_factory=set)

    def of(self, table: str) -> list[Unreadable]:
        return [u for (t, _), u in sorted(self.files.items()) if t == table]


def present(
    location: Location,
    table: str,
    keys: pa.Table,
    query: str,
    params: dict[str, Any],
    left_out: LeftOut | None = None,
) -> list[tuple]:
    """Run `queries/<query>.sql` with the table's current snapshot as `present` and `keys` as `batch`: which keys it
    already holds. DuckDB scans the snapshot's files through a pyarrow dataset (only the key columns; the range
    filters in the query reach the Parquet statistics).

    With `left_out`, a data file that cannot be read costs only itself: when the query fails, each file not read
    before is read (its key columns) once, the unreadable ones are recorded in `left_out` and the query runs again
    over the rest (files already in `left_out` are never read again). Without it, the query's error is raised."""
    dt = open_table(location, table)
    if dt is None or keys.num_rows == 0:
        return []
    try:
        dataset = dt.to_pyarrow_dataset()
        while True:
            usable = dataset if left_out is None else _without(dataset, table, left_out)
            try:
                return _run(usable, keys, query, params)
            except duckdb.Error:
                if left_out is None or not _find_unreadable(location, table, dt, usable, keys.column_names, left_out):
                    raise
    except duckdb.Error:
        raise
    except Exception as exc:
        raise storage_error(exc, location) from exc


def _run(dataset: ds.Dataset, keys: pa.Table, query: str, params: dict[str, Any]) -> list[tuple]:
    with duckdb.connect(config={"memory_limit": "256MB"}) as con:
        con.execute("SET enable_progress_bar = false")
        con.register("present", dataset)
        con.register("batch", keys)
        return con.execute((QUERIES_DIR / f"{query}.sql").read_text(encoding="utf-8"), params).fetchall()


def _without(dataset: ds.Dataset, table: str, left_out: LeftOut) -> ds.Dataset:
    """`dataset` (a snapshot's files) without the files in `left_out`."""
    if not any(t == table for t, _ in left_out.files):
        return dataset
    keep = [f for f in dataset.get_fragments() if (table, f.path) not in left_out.files]
    return ds.FileSystemDataset(keep, dataset.schema, dataset.format, dataset.filesystem)


def _find_unreadable(
    location: Location, table: str, dt: DeltaTable, dataset: ds.Dataset, columns: list[str], left_out: LeftOut
) -> bool:
    """Read the key `columns` of each file of `dataset` not read whole before; record the ones that cannot be read in
    `left_out`. Whether one was found. A failure of the storage itself (unreachable, credentials refused) is raised
    as `StorageError`: only a fault of the one file leaves it out."""
    rows = log_rows(dt)
    found = False
    for fragment in dataset.get_fragments():
        key = (table, fragment.path)
        if key in left_out.read:
            continue
        try:
            fragment.to_table(columns=columns)
        except Exception as exc:
            problem = file_problem(location, fragment.path, exc)
            left_out.files[key] = Unreadable(table, fragment.path, rows.get(fragment.path), problem)
            found = True
            continue
        left_out.read.add(key)
    return found


def file_problem(location: Location, name: str, exc: BaseException) -> str:
    """Why the data file `name` of a table cannot be read (one line), from what reading it raised; a failure of the
    storage itself (unreachable, credentials refused, no such bucket) is raised as `StorageError` instead, since it
    is no fault of this one file."""
    if isinstance(exc, FileNotFoundError):
        return MISSING
    text = one_line(exc)
    blamed = storage_error(OSError(text.replace(name, "")), location)  # the name (random hex) is not a clue
    if blamed.kind in ("bucket", "credentials", "unreachable"):
        raise blamed from None
    return text


def log_rows(dt: DeltaTable) -> dict[str, int | None]:
    """Each data file of the table's version (its path as the log names it, and percent-decoded) → its rows by the
    log's num_records (None: the log does not say)."""
    actions = pa.table(dt.get_add_actions(flatten=False)).select(["path", "num_records"]).to_pydict()
    out: dict[str, int | None] = {}
    for path, rows in zip(actions["path"], actions["num_records"], strict=True):
        out[path] = out[unquote(path)] = None if rows is None else int(rows)
    return out


def one_line(exc: BaseException) -> str:
    """An exception as one printable line: its type and the first line of its text."""
    first = next((line for line in str(exc).splitlines() if line.strip()), "")
    text = "".join(c if c.isprintable() else " " for c in f"{type(exc).__name__}: {first}")
    return " ".join(text.split())


def append_lines(location: Location, table: str, ingest_id: str, lines: list[str]) -> None:
    """Append JSON lines (the ingest log's, the quarantine's) to a `LINES` table: on S3 these are Delta tables too,
    so writers on many machines append to them at once (S3 has no append to an object)."""
    if lines:
        data = pa.table({"ingest_id": [ingest_id] * len(lines), "line": lines}, schema=LINES)
        append(location, table, data, note=f"{table} {ingest_id}")


def put_text(location: Location, parts: tuple[str, ...], text: str) -> None:
    """Write a small text file beside the tables (`<dataset>/<parts…>`; local datasets only), whole."""
    if location.path is None:
        raise ValueError("put_text writes local files only")
    path = location.path.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def local_path(location: Location, *parts: str) -> Path | None:
    """The local path of `<dataset>/<parts…>` (None on S3)."""
    return location.path.joinpath(*parts) if location.path is not None else None
