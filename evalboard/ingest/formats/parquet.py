"""Parquet already in the canonical schema: validated, then copied row by row through the same checks.

A source is either one samples file (it may carry a `messages` column) or a dataset folder with
`samples/*.parquet` and `transcripts/*.parquet`, whose transcripts are joined by sample_id.
Detection: a file starting with PAR1 (or named `.parquet`); a folder whose `samples/` holds Parquet files is a
dataset, read whole (its tables' folders and its ingest log are not judged again).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import SAMPLES, validate_file
from evalboard.ingest.formats.base import Claim, Format, Head
from evalboard.ingest.records import Item, Options, Parsed, Rejected
from evalboard.ingest.writer import ROW_FAILURES, query_text

BATCH = 10_000
MAGIC = b"PAR1"
DATASET_PARTS = ("samples", "transcripts", "verdicts", "awareness", "quarantine")


def read(path: Path, options: Options) -> Iterator[Item]:
    """Yield the rows of a samples file, or of every samples file in a dataset folder."""
    if path.is_dir():
        transcripts = sorted(str(p) for p in (path / "transcripts").glob("*.parquet"))
        for file in sorted((path / "samples").glob("*.parquet")):
            yield from _read_file(file, transcripts, f"{file.name}:")
    else:
        yield from _read_file(path, [], "")


def _read_file(path: Path, transcripts: list[str], prefix: str) -> Iterator[Item]:
    checked = validate_file(path, "samples")
    rows, problem = checked.rows, checked.problem
    if problem is not None:
        yield Rejected(f"{prefix}file", problem.reason, records=rows if checked.columns else None)  # None: no footer
        return
    if rows == 0:
        yield Rejected(f"{prefix}file", "empty file: no rows", records=0)
        return
    pf = pq.ParquetFile(path)
    names = [n for n in pf.schema_arrow.names if n in SAMPLES.names or n == "messages"]
    offset = 0
    for batch in pf.iter_batches(batch_size=BATCH, columns=names):
        records = _rows(batch)
        ids = [r["sample_id"] for r in records if not isinstance(r, Exception)]
        found = _transcripts(transcripts, ids) if transcripts else {}
        for i, record in enumerate(records, offset + 1):
            if isinstance(record, Exception):  # e.g. a string that is not UTF-8: this row only
                yield Rejected(f"{prefix}row {i}", f"cannot read row: {type(record).__name__}: {record}")
                continue
            messages = record.pop("messages", None) if "messages" in record else found.get(record["sample_id"])
            if isinstance(record.get("conditions"), list):  # map columns arrive as (key, value) pairs
                record["conditions"] = dict(record["conditions"])
            keys = tuple(str(record[k]) for k in ("run_id", "snapshot") if record.get(k))
            yield Parsed(record, messages, f"{prefix}row {i}", ctx=None, keys=keys)
        offset += len(records)


def _rows(batch: pa.RecordBatch) -> list[dict[str, Any] | Exception]:
    """The batch's rows as dicts; when the batch cannot be converted, row by row, a failing row as its error."""
    try:
        return batch.to_pylist()
    except ROW_FAILURES:
        pass
    out: list[dict[str, Any] | Exception] = []
    for i in range(batch.num_rows):
        try:
            out.append(batch.slice(i, 1).to_pylist()[0])
        except ROW_FAILURES as exc:
            out.append(exc)
    return out


def _transcripts(files: list[str], ids: list[Any]) -> dict[str, Any]:
    """Messages for `ids` from the dataset's transcripts files."""
    with duckdb.connect() as con:
        params = {"files": files, "ids": [i for i in ids if i is not None]}
        return dict(con.execute(query_text("ingest_transcripts"), params).fetchall())


def is_dataset(path: Path) -> bool:
    """True for a canonical dataset folder: samples/ holds Parquet files."""
    folder = path / "samples"
    return folder.is_dir() and any(p.suffix == ".parquet" for p in folder.iterdir())


class Parquet(Format):
    """A Parquet samples file in the canonical schema, or a whole dataset folder."""

    name = "parquet"
    suffixes = (".parquet",)
    folder_parts = DATASET_PARTS
    folder_files = ("ingest_log.jsonl",)

    def by_magic(self, head: Head) -> Claim | None:
        return Claim(self.name, "Parquet file") if head.head.startswith(MAGIC) else None

    def by_name(self, head: Head) -> Claim | None:
        if head.gzip or head.suffix != ".parquet":  # a gzip file named .parquet is JSONL when its first line is one
            return None
        return Claim(self.name, "Parquet file, though it does not start with PAR1")

    def whole_folder(self, folder: Path) -> str | None:
        return "dataset folder (samples/*.parquet)" if is_dataset(folder) else None

    def read(self, path: Path, options: Options) -> Iterator[Item]:
        return read(path, options)
