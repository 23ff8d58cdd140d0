"""Getting a dataset's Delta tables back to data files that all read (docs/ARCHITECTURE.md, "Delta tables", "A damaged
data file"), on Delta's own terms.

A data file that is damaged or missing stays named in its table's log, so every reader leaves it out and names it
again. delta-rs's `DeltaTable.repair()` (Delta's FSCK) commits a remove action for each data file the log names that
the storage does not hold: the table's next version no longer names it, and earlier versions still do (time travel
keeps working). It does not look inside a file that is there, so a file present but unreadable is named here
(`TableRepair.unreadable`: its footer does not read, or with `read_data` any of its pages) and left to the user to move
out of the table (on S3: delete or move the object); the next repair then removes it. Nothing here writes a file of
`_delta_log/` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable

from evalboard.core.location import Location, StorageError, storage_error
from evalboard.core.schema import TABLES
from evalboard.data.delta import open_table
from evalboard.data.delta_write import MISSING, Unreadable, file_problem, log_rows

# Every table a dataset may keep as a Delta table: the canonical ones, and on S3 the ingest log and the quarantine.
TABLE_NAMES = (*TABLES, "ingest_log", "quarantine")
NOTE = "evalboard repair"  # the FSCK commit's custom metadata (`evalboard`), as an ingest's notes its part


@dataclass(frozen=True)
class TableRepair:
    """What repairing one Delta table found and did."""

    table: str
    version: int  # the version checked
    files: int  # data files that version names
    removed: tuple[Unreadable, ...]  # missing files removed from the log (with `dry_run`: that would be)
    unreadable: tuple[Unreadable, ...]  # present but unreadable: still in the log
    new_version: int | None  # the FSCK commit's version (None: no commit)

    @property
    def removed_rows(self) -> int:
        return sum(f.rows or 0 for f in self.removed)


def repair(location: Location, dry_run: bool = False, read_data: bool = False) -> list[TableRepair]:
    """Repair each Delta table of the dataset at `location` (`dry_run`: only say what would be removed); `read_data`
    reads every present file whole (all its pages: slow) instead of its footer. Raises StorageError."""
    out = []
    for table in TABLE_NAMES:
        dt = open_table(location, table)
        if dt is not None:
            out.append(_repair_table(location, table, dt, dry_run, read_data))
    return out


def _repair_table(location: Location, table: str, dt: DeltaTable, dry_run: bool, read_data: bool) -> TableRepair:
    try:
        version, rows, files = dt.version(), log_rows(dt), len(dt.file_uris())
        result: dict[str, Any] = dt.repair(
            dry_run=dry_run, commit_properties=CommitProperties(custom_metadata={"evalboard": NOTE})
        )
        removed = tuple(
            Unreadable(table, name, rows.get(name), MISSING) for name in sorted(result.get("files_removed") or [])
        )
        new_version = None
        if removed and not dry_run:
            dt.update_incremental()
            new_version = dt.version()
        gone = {f.name for f in removed}
        dataset = dt.to_pyarrow_dataset()
        unreadable = tuple(
            Unreadable(table, f.path, rows.get(f.path), problem)
            for f in dataset.get_fragments()
            if f.path not in gone
            for problem in [_problem(location, dataset, f.path, read_data)]
            if problem is not None
        )
    except StorageError:
        raise
    except Exception as exc:
        raise storage_error(exc, location) from None
    return TableRepair(table, version, files, removed, unreadable, new_version)


def _problem(location: Location, dataset: ds.FileSystemDataset, name: str, read_data: bool) -> str | None:
    """Why a present data file cannot be read (None: it reads): its footer, or with `read_data` each row group."""
    try:
        with dataset.filesystem.open_input_file(name) as fh:
            parquet = pq.ParquetFile(fh)
            for group in range(parquet.num_row_groups if read_data else 0):
                parquet.read_row_group(group)
    except Exception as exc:
        return file_problem(location, name, exc)
    return None
