"""Writes the canonical dataset folder: one part file per table per batch, quarantine, ingest log.

Layout (docs/FORMATS.md, "Rules every importer follows"):
    <out>/samples/<ingest>-<nnn>-<source>-<part>.parquet       canonical SAMPLES, zstd
    <out>/transcripts/<same name>.parquet                      sample_id + messages, sorted by sample_id
    <out>/verdicts/, <out>/awareness/<same name>.parquet       further tables, when an importer gives rows
    <out>/quarantine/<ingest>.jsonl                            one line per rejected record or file
    <out>/ingest_log.jsonl                                     one line per source per ingest
    <out>/.ingest.lock                                         held (flock) by the one ingest writing here

One dataset, one writer: the lock is taken before anything is read from the folder and held until the
end, so a second ingest waits. De-duplication happens under the lock, per batch, in DuckDB (a semi-join
of the batch's keys against the key column of the Parquet files on disk), so memory does not grow with
the dataset. Every part is written to a temporary name in its own folder and renamed into place,
transcripts and further tables before samples, so a reader never sees a half-written file nor a sample
without its transcript.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evalboard.ingest.records import slug, small_raw
from evalboard.schema import MESSAGE, TABLES
from evalboard.store import QUERIES_DIR

BATCH_ROWS = 20_000
BATCH_BYTES = 32 * 1024 * 1024  # of text: Python objects and the Arrow copy cost a few times that
# Staged ids checked against the disk in one query: each check scans the dataset's sample_id column, so
# fewer, larger checks; the window costs only its ids (and positions) in memory, the rows are on disk.
DEDUPE_ROWS = 250_000
TRANSCRIPT_ROW_GROUP = 2_048  # small row groups: one transcript is fetched by row-group pruning
MESSAGES = pa.list_(MESSAGE)
LOCK_NAME = ".ingest.lock"
# The key a row is de-duplicated on, per table: one sample per id, one verdict/label per sample and source.
KEYS: dict[str, tuple[str, ...]] = {
    "samples": ("sample_id",),
    "transcripts": ("sample_id",),
    "verdicts": ("sample_id", "source"),
    "awareness": ("sample_id", "source"),
}
UNKNOWN = "unknown"  # the record count of a file that could not be opened far enough to count them


@dataclass
class _Staged:
    """One batch written under hidden names: table -> temporary path, and its rows for further tables."""

    name: str
    tmp: dict[str, Path]
    extra: dict[str, list[dict[str, Any]]]


class WriteError(RuntimeError):
    """The dataset folder could not be written (disk full, permissions): stops the ingest."""


@dataclass
class SourceStats:
    """Counts for one source; `records == imported + already_present + rejected` always.

    `records` counts what is known to have been in the source: when a file could not be read to its end
    and its size in records is unknowable, `unknown_count` is set and the missing rest is not counted.
    """

    source: str
    format: str
    records: int = 0
    imported: int = 0
    ungraded: int = 0
    already_present: int = 0
    rejected: int = 0
    unknown_count: bool = False
    at_least: bool = False  # some rejected file's count is a lower bound (a truncated file)
    detected: str = ""  # what the file was taken for (format detection's reason)
    problem: str | None = None  # the commonest reject reason, for the summary and Data health
    extra: dict[str, int] = field(default_factory=dict)  # rows written to further tables (verdicts, …)
    files: list[str] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    reasons: Counter[str] = field(default_factory=Counter, repr=False)  # reason → rejects (not logged)


def reason_key(reason: str) -> str:
    """A reason without its record-specific tail (quoted ids, values), so like rejects group together."""
    return reason.split("'", 1)[0].split(" (first seen", 1)[0].strip()[:120]


def query_text(name: str) -> str:
    """The text of `queries/<name>.sql` (run with bound parameters by the ingest code's own connections)."""
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


class DatasetWriter:
    """Accumulates accepted rows per source and writes them in bounded, de-duplicated batches.

    Holds the dataset's lock from construction to `close()`; use it as a context manager.
    """

    def __init__(
        self,
        out: Path,
        ingest_id: str,
        batch_rows: int = BATCH_ROWS,
        batch_bytes: int = BATCH_BYTES,
        notify: TextIO | None = None,
        dedupe_rows: int = DEDUPE_ROWS,
    ):
        self.out = out
        self.ingest_id = ingest_id
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.dedupe_rows = dedupe_rows
        out.mkdir(parents=True, exist_ok=True)
        self._lock = _acquire(out / LOCK_NAME, notify)
        try:
            self.problems: list[str] = []
            self._files: dict[str, list[str]] = {t: self._readable(t) for t in TABLES}
            for table in ("samples", "transcripts"):
                (out / table).mkdir(exist_ok=True)
        except BaseException:
            self._release()
            raise
        self.quarantine_path = out / "quarantine" / f"{ingest_id}.jsonl"
        self._quarantine: Any = None
        self._rows: list[dict[str, Any]] = []
        self._positions: dict[str, str] = {}  # sample_id -> position in its source, for late rejects
        self._transcripts: list[dict[str, Any]] = []
        self._extra: dict[str, list[dict[str, Any]]] = {}
        self._bytes = 0
        self._source_index = 0
        self._part = 0
        self._source: str = ""
        self._file_sources: dict[str, str] = {}  # part file name -> source, for duplicate messages
        self._staged: list[_Staged] = []  # parts written under hidden names, waiting for `_commit`
        self._window: dict[str, str] = {}  # sample_id -> position, for the staged parts
        # The semi-join's build side is one window of ids; no progress bar on the user's terminal.
        self._con = duckdb.connect(config={"memory_limit": "256MB"})
        self._con.execute("SET enable_progress_bar = false")
        self.stats: SourceStats | None = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _readable(self, table: str) -> list[str]:
        """The table's Parquet files whose footer reads and that carry the key columns (recursive, as the store)."""
        good = []
        folder = self.out / table
        for path in sorted(folder.rglob("*.parquet")) if folder.is_dir() else []:
            try:
                names = pq.ParquetFile(path).schema_arrow.names
            except Exception as exc:  # a damaged file is the Data health page's business; note and go on
                self.problems.append(f"{path}: {exc}")
                continue
            if all(k in names for k in KEYS[table]):
                good.append(str(path))
            else:
                self.problems.append(f"{path}: no {', '.join(KEYS[table])} column")
        return good

    # -- per source -------------------------------------------------------------------------
    def begin(self, source: Path, fmt: str) -> SourceStats:
        """Start counting and naming parts for a new source."""
        self._source_index += 1
        self._part = 0
        self._source = str(source)
        self._slug = slug(source.stem if source.is_file() else source.name)
        self.stats = SourceStats(str(source), fmt, started_at=_now())
        return self.stats

    def add(
        self,
        row: dict[str, Any],
        messages: list[dict[str, Any]] | None,
        position: str,
        size: int,
        extra: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        """Buffer one accepted row, its transcript and its rows for further tables (`extra`: table → rows,
        each with the sample's id); writes a batch when the buffer is full. Duplicates are settled at write."""
        sid = row["sample_id"]
        first = self._positions.get(sid) or self._window.get(sid)  # this batch, or one staged before it
        if first is not None:  # the first one wins
            self.reject(position, f"duplicate sample_id {sid!r} (first seen at {first})", row)
            return
        self._rows.append(row)
        self._positions[sid] = position
        if messages is not None:
            self._transcripts.append({"sample_id": sid, "messages": messages})
        for table, rows in (extra or {}).items():
            self._extra.setdefault(table, []).extend(rows)
        self._bytes += size
        if len(self._rows) >= self.batch_rows or self._bytes >= self.batch_bytes:
            self.flush()

    def end(self) -> SourceStats:
        """Flush and commit the rest of this source and append its line to the ingest log."""
        self.flush()
        self._commit()
        stats = self.stats
        assert stats is not None
        stats.finished_at = _now()
        if stats.reasons:
            commonest = stats.reasons.most_common(1)[0][0]
            if stats.problem is None or reason_key(stats.problem) != commonest:
                stats.problem = commonest
        log = {"ingest_id": self.ingest_id, **{k: v for k, v in asdict(stats).items() if k != "reasons"}}
        if stats.rejected or stats.unknown_count:
            log["quarantine"] = str(self.quarantine_path)
        try:
            with (self.out / "ingest_log.jsonl").open("a") as fh:
                fh.write(json.dumps(log) + "\n")
        except OSError as exc:
            raise WriteError(f"cannot write the ingest log in {self.out}: {exc}") from exc
        return stats

    # -- rejects ----------------------------------------------------------------------------
    def reject(self, position: str, reason: str, raw: Any = None) -> None:
        """Write one quarantine line for one record (already counted in `records` by the caller)."""
        self._write_quarantine({"source": self._source, "position": position, "reason": reason}, raw)
        if self.stats is not None:
            self.stats.rejected += 1
            self.stats.reasons[reason_key(reason)] += 1
            if self.stats.problem is None:
                self.stats.problem = reason

    def reject_file(self, reason: str, records: int | None, position: str = "file", at_least: bool = False) -> None:
        """The rest of a source could not be read: quarantine it as one line holding `records` records
        (None: unknowable; `at_least`: a lower bound), and count them."""
        line = {"source": self._source, "position": position, "reason": reason}
        line["records"] = records if records is not None else UNKNOWN
        if at_least and records is not None:
            line["records_at_least"] = True
            if self.stats is not None:
                self.stats.at_least = True
        self._write_quarantine(line, None)
        if self.stats is None:
            return
        if self.stats.problem is None:
            self.stats.problem = reason
        if records is None:
            self.stats.unknown_count = True
            self.stats.reasons[reason_key(reason)] += 1
        else:
            self.stats.records += records
            self.stats.rejected += records
            self.stats.reasons[reason_key(reason)] += records

    def _write_quarantine(self, line: dict[str, Any], raw: Any) -> None:
        try:
            if self._quarantine is None:
                self.quarantine_path.parent.mkdir(parents=True, exist_ok=True)
                self._quarantine = self.quarantine_path.open("a")
            line["at"] = _now()
            if raw is not None:
                line["raw"] = small_raw(raw)
            self._quarantine.write(json.dumps(line, default=str) + "\n")
        except OSError as exc:
            raise WriteError(f"cannot write the quarantine file {self.quarantine_path}: {exc}") from exc

    def close(self) -> None:
        """Close the quarantine file and release the dataset's lock (batches are flushed by `end`); parts
        still staged (an ingest stopped by an error) are removed, never published."""
        for part in self._staged:
            for tmp in part.tmp.values():
                tmp.unlink(missing_ok=True)
        self._staged = []
        if self._quarantine is not None:
            self._quarantine.close()
            self._quarantine = None
        self._con.close()
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # -- batches ----------------------------------------------------------------------------
    def flush(self) -> None:
        """Stage the buffered batch: one hidden part per table. Staged parts are de-duplicated against the
        disk together (`_commit`) once `dedupe_rows` ids are staged or the source ends, then renamed into place."""
        if not self._rows:
            return
        rows, transcripts, positions, extra = self._rows, self._transcripts, self._positions, self._extra
        self._rows, self._transcripts, self._positions, self._extra, self._bytes = [], [], {}, {}, 0
        samples, good_ids = self._to_table(rows, "samples", "sample", positions)
        if len(good_ids) < len(rows):
            transcripts = [t for t in transcripts if t["sample_id"] in good_ids]
        tx, tx_ids = self._to_table(transcripts, "transcripts", "transcript", positions)
        if len(tx_ids) < len(transcripts):  # a sample whose transcript cannot be stored is rejected whole
            bad = pa.array(sorted({t["sample_id"] for t in transcripts} - tx_ids), pa.string())
            samples = samples.filter(pc.invert(pc.is_in(samples["sample_id"], value_set=bad)))
        self._stage_batch(samples, tx, positions, extra)

    def add_table(self, samples: pa.Table, transcripts: pa.Table, positions: list[str]) -> None:
        """Stage an already canonical batch (distinct ids, `positions` in row order) after what is buffered;
        duplicates against earlier batches and the disk are settled as for `add`."""
        self.flush()
        ids = samples["sample_id"].to_pylist()
        self._stage_batch(samples, transcripts, dict(zip(ids, positions, strict=True)), {})

    def _stage_batch(
        self, samples: pa.Table, tx: pa.Table, positions: dict[str, str], extra: dict[str, list[dict[str, Any]]]
    ) -> None:
        repeated = [sid for sid in samples["sample_id"].to_pylist() if sid in self._window]
        for sid in repeated:  # staged earlier in this window: the first one wins
            self.reject(positions[sid], f"duplicate sample_id {sid!r} (first seen at {self._window[sid]})")
        if repeated:
            samples = samples.filter(pc.invert(pc.is_in(samples["sample_id"], value_set=pa.array(repeated))))
        if samples.num_rows == 0:
            return
        keep = samples["sample_id"]
        for sid in keep.to_pylist():
            self._window[sid] = positions[sid]
        name = f"{self.ingest_id}-{self._source_index:03d}-{self._slug}-{self._part:04d}.parquet"
        self._part += 1
        tx = tx.filter(pc.is_in(tx["sample_id"], value_set=keep))
        staged = _Staged(name, {}, extra)
        if tx.num_rows:
            staged.tmp["transcripts"] = self._stage("transcripts", tx.sort_by("sample_id"), name)
        staged.tmp["samples"] = self._stage("samples", samples, name)
        self._staged.append(staged)
        if len(self._window) >= self.dedupe_rows:
            self._commit()

    def _stage(self, table: str, data: pa.Table, name: str) -> Path:
        path = self.out / table / f".{name}.{os.getpid()}.staged"
        try:
            path.parent.mkdir(exist_ok=True)
            pq.write_table(
                data, path, compression="zstd", row_group_size=TRANSCRIPT_ROW_GROUP if table == "transcripts" else None
            )
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise WriteError(f"cannot write {table}/{name} in {self.out}: {exc}") from exc
        return path

    def _commit(self) -> None:
        """De-duplicate the staged window against the disk in one DuckDB query, then publish its parts."""
        staged, window = self._staged, self._window
        self._staged, self._window = [], {}
        if not staged:
            return
        assert self.stats is not None
        found = self._present("samples", pa.table({"sample_id": pa.array(list(window), pa.string())}))
        drop: set[str] = set()
        for sid, ours in found:
            if ours:
                where = self._file_sources.get(ours, "earlier in this ingest")
                self.reject(window[sid], f"duplicate sample_id {sid!r} (first seen in {where})")
            else:
                self.stats.already_present += 1
            drop.add(sid)
        del window
        for part in staged:
            samples_tmp = part.tmp["samples"]
            meta = pq.read_metadata(samples_tmp)
            rows = meta.num_rows
            if drop:
                ids = pq.read_table(samples_tmp, columns=["sample_id"])["sample_id"]
                gone = pa.array(sorted(drop.intersection(ids.to_pylist())), pa.string())
                if len(gone):  # rewrite the staged parts without the ids already on disk
                    for table, tmp in list(part.tmp.items()):
                        data = pq.read_table(tmp)
                        data = data.filter(pc.invert(pc.is_in(data["sample_id"], value_set=gone)))
                        tmp.unlink()
                        if data.num_rows or table == "samples":
                            part.tmp[table] = self._stage(table, data, part.name)
                        else:
                            del part.tmp[table]
                    rows = pq.read_metadata(part.tmp["samples"]).num_rows
            if rows == 0:
                for tmp in part.tmp.values():
                    tmp.unlink(missing_ok=True)
                continue
            keep = pq.read_table(part.tmp["samples"], columns=["sample_id", "harmful"])
            for table, extra_rows in part.extra.items():
                ext = self._extra_table(table, extra_rows, keep["sample_id"])
                if ext is not None and ext.num_rows:
                    self._write(table, ext, part.name)
            for table in ("transcripts", "samples"):  # samples last: a visible sample has its transcript
                if table in part.tmp:
                    self._publish(table, part.tmp[table], part.name)
            self.stats.imported += rows
            self.stats.ungraded += keep["harmful"].null_count
            self.stats.files.append(part.name)

    def _publish(self, table: str, tmp: Path, name: str) -> None:
        path = self.out / table / name
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise WriteError(f"cannot write {table}/{name} in {self.out}: {exc}") from exc
        self._files[table].append(str(path))
        self._file_sources[name] = self._source

    def write_rows(self, table: str, rows: list[dict[str, Any]]) -> int:
        """Write rows of a further table (verdicts, awareness) on their own, de-duplicated on the table's key;
        returns how many were new. Rows that do not fit the schema are quarantined."""
        if not rows:
            return 0
        data = self._extra_table(table, rows, None)
        if data is None or data.num_rows == 0:
            return 0
        name = f"{self.ingest_id}-{self._source_index:03d}-{self._slug}-{table}-{self._part:04d}.parquet"
        self._part += 1
        self._write(table, data, name)
        return data.num_rows

    def known_samples(self, sample_ids: list[str]) -> set[str]:
        """The ids among `sample_ids` of samples in the dataset's files (committed ones, this ingest's included)."""
        if not sample_ids:
            return set()
        keys = pa.table({"sample_id": pa.array(list(dict.fromkeys(sample_ids)), pa.string())})
        return {row[0] for row in self._present("samples", keys)}

    def _write(self, table: str, data: pa.Table, name: str) -> None:
        path = self.out / table / name
        try:
            path.parent.mkdir(exist_ok=True)
            _atomic_write(data, path, TRANSCRIPT_ROW_GROUP if table == "transcripts" else None)
        except OSError as exc:
            raise WriteError(f"cannot write {table}/{name} in {self.out}: {exc}") from exc
        self._files[table].append(str(path))
        self._file_sources[name] = self._source
        if table != "samples" and self.stats is not None and table != "transcripts":
            self.stats.extra[table] = self.stats.extra.get(table, 0) + data.num_rows

    def _present(self, table: str, keys: pa.Table) -> list[tuple]:
        """The rows of `keys` whose key is already on disk (for samples: with the file this ingest wrote it to,
        or None when an earlier ingest did)."""
        files = self._files[table]
        if not files or keys.num_rows == 0:
            return []
        name = "ingest_present_ids" if KEYS[table] == ("sample_id",) else "ingest_present_keys"
        self._con.register("batch", keys)
        try:
            params = {"files": files} | ({"ingest": self.ingest_id + "-"} if name == "ingest_present_ids" else {})
            return self._con.execute(query_text(name), params).fetchall()
        finally:
            self._con.unregister("batch")

    def _extra_table(self, table: str, rows: list[dict[str, Any]], keep: pa.Array | None) -> pa.Table | None:
        """A further table's rows (for the kept samples), first per key, without keys already on disk."""
        if table not in TABLES or table in ("samples", "transcripts"):
            raise ValueError(f"unknown extra table {table!r}")
        keys = KEYS[table]
        kept = set(keep.to_pylist()) if keep is not None else None
        first: dict[tuple, dict[str, Any]] = {}
        for row in rows:
            key = tuple(row.get(k) for k in keys)
            if (kept is None or row.get("sample_id") in kept) and key not in first:
                first[key] = row
        data, _ = self._to_table(list(first.values()), table, table.rstrip("s"), {})
        present = self._present(table, data.select(list(keys)))
        if present:
            gone = {tuple(r[: len(keys)]) for r in present}
            data = pa.Table.from_pylist(
                [r for r in data.to_pylist() if tuple(r[k] for k in keys) not in gone], schema=TABLES[table]
            )
        return data

    def _to_table(
        self, items: list[dict[str, Any]], table: str, what: str, positions: dict[str, str]
    ) -> tuple[pa.Table, set[str]]:
        """Convert a batch; when the batch fails, convert row by row and quarantine the rows that fail."""
        schema = TABLES[table]
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
                position = positions.get(row["sample_id"], "?")
                self.reject(position, f"{what} does not fit the canonical schema: {exc}", row)
                continue
            good.add(row["sample_id"])
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=schema), good


def _acquire(path: Path, notify: TextIO | None) -> Any:
    """Take the dataset's exclusive lock, waiting (with a message on `notify`) while another ingest holds it."""
    fh = path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if notify is not None:
            notify.write(f"evalboard ingest: another ingest is writing to {path.parent}; waiting for it to finish …\n")
            notify.flush()
        fcntl.flock(fh, fcntl.LOCK_EX)
    return fh


def _atomic_write(table: pa.Table, path: Path, row_group_size: int | None) -> None:
    """Write to a hidden temporary name in the same folder, then rename into place (atomic on POSIX)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
