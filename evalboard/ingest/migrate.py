"""`evalboard migrate OLD NEW`: a plain-Parquet dataset (today's layout) copied into Delta tables, table by table,
row for row (docs/ARCHITECTURE.md, "Dataset locations and Delta tables").

Every Parquet file of each table folder (recursively, as the store reads them; `_delta_log/` and hidden files
excepted) is streamed into one Delta commit for that table, its columns aligned to the canonical schema (a column an
older file lacks is null; a column the schema does not know is dropped, and said). Rows are copied as they are,
repeated ids included: readers apply the same rule as before (a repeated sample id counts once), so every page counts
what it counted. Side files are copied too (`dataset.toml`, `ingest_log.jsonl`, `quarantine/*.jsonl`; on S3 the
log and the quarantine become tables of JSON lines and `dataset.toml` is left for the user to copy, and said). A
table that already exists in NEW is refused, never appended twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.location import DELTA_LOG, Location
from evalboard.core.schema import TABLES
from evalboard.data import delta, delta_write

SIDE_FILES = ("dataset.toml", "ingest_log.jsonl")
BATCH_ROWS = 20_000


class MigrateError(ValueError):
    """OLD cannot be migrated into NEW (the message says why)."""


@dataclass
class Migrated:
    """Rows copied per table, columns dropped per table, side files copied."""

    rows: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, set[str]] = field(default_factory=dict)
    side_files: list[str] = field(default_factory=list)
    not_copied: list[str] = field(default_factory=list)  # files with no place on S3 (dataset.toml: copy it yourself)


def table_files(old: Path, table: str) -> list[Path]:
    """The table's Parquet files in OLD (the store's listing: recursive, sorted; no Delta log, no hidden files)."""
    folder = old / table
    if not folder.is_dir():
        return []
    return [
        p
        for p in sorted(folder.rglob("*.parquet"))
        if DELTA_LOG not in p.relative_to(folder).parts and not any(x.startswith(".") for x in p.relative_to(old).parts)
    ]


def migrate(old: Path, new: Location) -> Migrated:
    """Copy every table of the plain-Parquet dataset `old` into Delta tables at `new`."""
    if not (old / "samples").is_dir():
        raise MigrateError(f"{old} is not a dataset folder (it has no samples/ folder)")
    if new.path is not None and new.path.resolve() == old.resolve():
        raise MigrateError("OLD and NEW must differ: the Delta tables are written beside nothing of the old layout")
    done = Migrated()
    for table in TABLES:
        files = table_files(old, table)
        if not files:
            continue
        if delta.is_delta(new, table):
            raise MigrateError(f"{new.table_uri(table)} is already a Delta table; migrate into a new location")
        schema = TABLES[table]
        dropped: set[str] = set()
        counted = [0]
        reader = pa.RecordBatchReader.from_batches(schema, _aligned(files, schema, dropped, counted))
        delta_write.append(new, table, reader, 2_048 if table == "transcripts" else None, f"migrated from {old}")
        done.rows[table] = counted[0]
        if dropped:
            done.dropped[table] = dropped
    quarantined = sorted((old / "quarantine").glob("*.jsonl")) if (old / "quarantine").is_dir() else []
    for name in SIDE_FILES:
        if not (old / name).is_file():
            continue
        text = (old / name).read_text(encoding="utf-8")
        if new.path is not None:
            delta_write.put_text(new, (name,), text)
            done.side_files.append(name)
        elif name == "ingest_log.jsonl":  # on S3 the ingest log is a table of JSON lines
            delta_write.append_lines(new, "ingest_log", "migrated", text.splitlines())
            done.side_files.append(name)
        else:
            done.not_copied.append(name)
    for path in quarantined:
        if new.path is not None:
            delta_write.put_text(new, ("quarantine", path.name), path.read_text(encoding="utf-8"))
        else:
            delta_write.append_lines(new, "quarantine", path.stem, path.read_text(encoding="utf-8").splitlines())
        done.side_files.append(f"quarantine/{path.name}")
    return done


def _aligned(files: list[Path], schema: pa.Schema, dropped: set[str], counted: list[int]) -> Iterator[pa.RecordBatch]:
    """Each file's batches with the schema's columns in its order (missing ones null), cast to the schema."""
    for path in files:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            dropped.update(set(batch.schema.names) - set(schema.names))
            columns = [
                batch.column(f.name) if f.name in batch.schema.names else pa.nulls(batch.num_rows, f.type)
                for f in schema
            ]
            loose = pa.schema([f.with_nullable(True) for f in schema])  # nullability is checked by the cast
            counted[0] += batch.num_rows
            yield pa.RecordBatch.from_arrays(columns, schema=loose).cast(schema)
