"""Writes the canonical dataset folder: samples/ and transcripts/ part files, quarantine, ingest log.

Layout (docs/FORMATS.md, "Rules every importer follows"):
    <out>/samples/<ingest>-<nnn>-<source>-<part>.parquet       canonical SAMPLES, zstd
    <out>/transcripts/<same name>.parquet                      sample_id + messages, sorted by sample_id
    <out>/quarantine/<ingest>.jsonl                            one line per rejected record
    <out>/ingest_log.jsonl                                     one line per source per ingest

Rows are buffered and written in batches, so memory is bounded by the batch size, not the input.
Existing files are never rewritten: a new source only adds part files. Each part is written to a
temporary name and renamed, transcripts before samples, so a visible sample always has its transcript.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evalboard.ingest.records import slug, small_raw
from evalboard.schema import MESSAGE, SAMPLES, TRANSCRIPTS

BATCH_ROWS = 20_000
BATCH_BYTES = 64 * 1024 * 1024
TRANSCRIPT_ROW_GROUP = 2_048  # small row groups: one transcript is fetched by row-group pruning
MESSAGES = pa.list_(MESSAGE)


class WriteError(RuntimeError):
    """The dataset folder could not be written (disk full, permissions): stops the ingest."""


@dataclass
class SourceStats:
    """Counts for one source; `records == imported + already_present + rejected` always."""

    source: str
    format: str
    records: int = 0
    imported: int = 0
    ungraded: int = 0
    already_present: int = 0
    rejected: int = 0
    files: list[str] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""


def existing_sample_ids(out: Path) -> tuple[set[str], list[str]]:
    """sample_ids already in the dataset, and problems with files that could not be read."""
    ids: set[str] = set()
    problems: list[str] = []
    for path in sorted((out / "samples").rglob("*.parquet")):  # recursive, as the store reads
        try:
            column = pq.read_table(path, columns=["sample_id"]).column("sample_id")
        except Exception as exc:  # a damaged file is the data-health page's business; note and go on
            problems.append(f"{path}: {exc}")
            continue
        ids.update(column.to_pylist())
    return ids, problems


class DatasetWriter:
    """Accumulates accepted rows per source and writes them in bounded batches."""

    def __init__(self, out: Path, ingest_id: str, batch_rows: int = BATCH_ROWS, batch_bytes: int = BATCH_BYTES):
        self.out = out
        self.ingest_id = ingest_id
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        for sub in ("samples", "transcripts"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        self.existing, self.problems = existing_sample_ids(out)
        self.seen: dict[str, str] = {}  # sample_id -> position, for ids imported in this run
        self.quarantine_path = out / "quarantine" / f"{ingest_id}.jsonl"
        self._quarantine: Any = None
        self.reasons: Counter[str] = Counter()  # reason (first 100 chars) -> count, for the summary
        self._rows: list[dict[str, Any]] = []
        self._positions: dict[str, str] = {}  # sample_id -> position in its source, for late rejects
        self._transcripts: list[dict[str, Any]] = []
        self._bytes = 0
        self._source_index = 0
        self._part = 0
        self._source: str = ""
        self.stats: SourceStats | None = None

    # -- per source -------------------------------------------------------------------------
    def begin(self, source: Path, fmt: str) -> SourceStats:
        """Start counting and naming parts for a new source."""
        self._source_index += 1
        self._part = 0
        self._source = str(source)
        self._slug = slug(source.stem if source.is_file() else source.name)
        self.stats = SourceStats(str(source), fmt, started_at=_now())
        return self.stats

    def duplicate_of(self, sample_id: str) -> str | None:
        """'existing' when the dataset already holds this id, the first position when seen in this run."""
        if sample_id in self.existing:
            return "existing"
        return self.seen.get(sample_id)

    def add(self, row: dict[str, Any], messages: list[dict[str, Any]] | None, position: str, size: int) -> None:
        """Buffer one accepted row; writes a batch when the buffer is full."""
        self.seen[row["sample_id"]] = f"{self._source}:{position}"
        self._rows.append(row)
        self._positions[row["sample_id"]] = position
        if messages is not None:
            self._transcripts.append({"sample_id": row["sample_id"], "messages": messages})
        self._bytes += size
        if len(self._rows) >= self.batch_rows or self._bytes >= self.batch_bytes:
            self.flush()

    def end(self) -> SourceStats:
        """Flush the rest of this source and append its line to the ingest log."""
        self.flush()
        assert self.stats is not None
        self.stats.finished_at = _now()
        log = {"ingest_id": self.ingest_id, **asdict(self.stats)}
        if self.stats.rejected:
            log["quarantine"] = str(self.quarantine_path)
        with (self.out / "ingest_log.jsonl").open("a") as fh:
            fh.write(json.dumps(log) + "\n")
        return self.stats

    # -- rejects ----------------------------------------------------------------------------
    def reject(self, position: str, reason: str, raw: Any = None) -> None:
        """Write one quarantine line and count it."""
        if self._quarantine is None:
            self.quarantine_path.parent.mkdir(parents=True, exist_ok=True)
            self._quarantine = self.quarantine_path.open("a")
        line = {"source": self._source, "position": position, "reason": reason, "at": _now()}
        if raw is not None:
            line["raw"] = small_raw(raw)
        self._quarantine.write(json.dumps(line, default=str) + "\n")
        self.reasons[reason[:100]] += 1
        if self.stats is not None:
            self.stats.rejected += 1

    def close(self) -> None:
        """Close the quarantine file (batches are flushed by `end`)."""
        if self._quarantine is not None:
            self._quarantine.close()
            self._quarantine = None

    # -- batches ----------------------------------------------------------------------------
    def flush(self) -> None:
        """Write the buffered batch as one samples part and one transcripts part."""
        if not self._rows:
            return
        rows, transcripts, positions = self._rows, self._transcripts, self._positions
        self._rows, self._transcripts, self._positions, self._bytes = [], [], {}, 0
        samples, good_ids = self._to_table(rows, SAMPLES, "sample", positions)
        if len(good_ids) < len(rows):
            transcripts = [t for t in transcripts if t["sample_id"] in good_ids]
        tx, tx_ids = self._to_table(transcripts, TRANSCRIPTS, "transcript", positions)
        if len(tx_ids) < len(transcripts):  # a sample whose transcript cannot be stored is rejected whole
            bad = pa.array(sorted({t["sample_id"] for t in transcripts} - tx_ids), pa.string())
            samples = samples.filter(pc.invert(pc.is_in(samples["sample_id"], value_set=bad)))
        if samples.num_rows == 0:
            return
        name = f"{self.ingest_id}-{self._source_index:03d}-{self._slug}-{self._part:04d}.parquet"
        self._part += 1
        try:
            if tx.num_rows:
                _atomic_write(tx.sort_by("sample_id"), self.out / "transcripts" / name, TRANSCRIPT_ROW_GROUP)
            _atomic_write(samples, self.out / "samples" / name, None)
        except OSError as exc:
            raise WriteError(f"cannot write {name} in {self.out}: {exc}") from exc
        assert self.stats is not None
        self.stats.imported += samples.num_rows
        self.stats.ungraded += samples["harmful"].null_count
        self.stats.files.append(name)

    def _to_table(
        self, items: list[dict[str, Any]], schema: pa.Schema, what: str, positions: dict[str, str]
    ) -> tuple[pa.Table, set[str]]:
        """Convert a batch; when the batch fails, convert row by row and quarantine the rows that fail."""
        try:
            return pa.Table.from_pylist(items, schema=schema), {c["sample_id"] for c in items}
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
        good: set[str] = set()
        rows: list[dict[str, Any]] = []
        for row in items:
            try:
                pa.Table.from_pylist([row], schema=schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                self.seen.pop(row["sample_id"], None)
                position = positions.get(row["sample_id"], "?")
                self.reject(position, f"{what} does not fit the canonical schema: {exc}", row)
                continue
            good.add(row["sample_id"])
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=schema), good


def _atomic_write(table: pa.Table, path: Path, row_group_size: int | None) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size)
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
