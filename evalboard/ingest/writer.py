"""Writes the canonical dataset folder: one part file per table per batch, quarantine, ingest log.

Layout (docs/FORMATS.md, "Rules every importer follows"):
    <out>/samples/<ingest>-<nnn>-<source>-<part>.parquet       canonical SAMPLES, zstd
    <out>/transcripts/<same name>.parquet                      sample_id + messages, sorted by sample_id
    <out>/verdicts/, <out>/awareness/<same name>.parquet       further tables, when an importer gives rows
    <out>/quarantine/<ingest>.jsonl                            one line per rejected record or file
    <out>/ingest_log.jsonl                                     one line per source per ingest
    <out>/.ingest.lock                                         held (flock) by the one ingest writing here

One dataset, one writer: the lock is taken before anything is read from the folder and held until the
end, so a second ingest waits. Converted batches wait in memory (at most `PENDING_BYTES` of Arrow data or
`DEDUPE_ROWS` ids); then one DuckDB query settles them against the disk (a semi-join of their ids with
the key column of the Parquet files, bounded by the ids' range so Parquet statistics skip most files), so
memory does not grow with the dataset and each part is written once. Every part's files are written to
temporary names and renamed into place through a journal, further tables and transcripts before samples
(`commit.py`), so a reader never sees a half-written file nor a sample without its transcript, and a kill at
any step leaves the part whole or absent: the next writer finishes its renames and removes stale temporary files.

A new dataset — and always one on S3 — is written as Delta tables instead (docs/ARCHITECTURE.md, "Dataset
locations and Delta tables"): each part is one Delta commit per table, in the same order (further tables, transcripts,
samples last), so a reader never sees a sample without its transcript; the de-duplication query reads the table's
current snapshot; no lock is taken on S3 (Delta's commit protocol orders concurrent writers) while a local folder keeps
its lock. A folder that already holds plain Parquet samples keeps its layout (`evalboard migrate` converts one).

A failure inside the writer that is not the disk's is raised as `WriteError` too: the ingest stops with a message
instead of being taken for a reader error, and nothing still waiting is published. A damaged existing file does not
stop it: a plain folder's is left out of the de-duplication from the start (`problems`), a Delta table's data file
that cannot be read when a check meets it is left out of the checks from then on (`unreadable`); either way its ids
may be imported again, and the readers count each sample id once (docs/ARCHITECTURE.md, "Each sample id counts
once").
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import stat
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TextIO, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from evalboard.core import location as locations
from evalboard.core.location import DELTA_LOG, Location, StorageError
from evalboard.core.schema import MESSAGE, TABLES, data_problem, validate_file
from evalboard.data import delta_write
from evalboard.data.data_checks import DataChecks
from evalboard.data.sql import query_text  # the one SQL loader (docs/ARCHITECTURE.md, "Queries")
from evalboard.ingest import commit
from evalboard.ingest.records import slug, small_raw

BATCH_ROWS = 20_000
BATCH_BYTES = 32 * 1024 * 1024  # of text: Python objects and the Arrow copy cost a few times that
# Pending ids checked against the disk in one query: a check whose ids are scattered scans the dataset's
# sample_id column, so fewer, larger checks — bounded by the memory the waiting batches hold.
DEDUPE_ROWS = 250_000
PENDING_BYTES = 32 * 1024 * 1024
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
# What converting one row can raise (a lone surrogate is a UnicodeEncodeError): that row is quarantined, not the batch.
ROW_FAILURES = (pa.ArrowException, ValueError, TypeError, OverflowError)
UNKNOWN = "unknown"  # the record count of a file that could not be opened far enough to count them


@dataclass
class _Pending:
    """One converted batch waiting for its de-duplication: its tables and its further tables' rows."""

    samples: pa.Table
    transcripts: pa.Table
    extra: dict[str, list[dict[str, Any]]]


class WriteError(RuntimeError):
    """The dataset could not be written or checked (disk full, permissions, a damaged file): stops the ingest."""


class StorageWriteError(WriteError):
    """The dataset's storage failed (unreachable, refused credentials, missing bucket, a commit conflict past its
    retries): its message is one line naming no credential."""


P = ParamSpec("P")
R = TypeVar("R")


def _stops_ingest(method: Callable[P, R]) -> Callable[P, R]:
    """Any failure inside the writer stops the ingest as a `WriteError` (never taken for the reader's)."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except WriteError:
            raise
        except StorageError as exc:
            raise StorageWriteError(str(exc)) from exc
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise WriteError(f"the writer failed ({what}); nothing still pending was written") from exc

    return guarded


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


class DatasetWriter:
    """Accumulates accepted rows per source and writes them in bounded, de-duplicated batches.

    Holds the dataset's lock from construction to `close()`; use it as a context manager.
    """

    def __init__(
        self,
        out: Path | str | Location,
        ingest_id: str,
        batch_rows: int = BATCH_ROWS,
        batch_bytes: int = BATCH_BYTES,
        notify: TextIO | None = None,
        dedupe_rows: int = DEDUPE_ROWS,
    ):
        self.location = out if isinstance(out, Location) else locations.parse(out)
        self.ingest_id = ingest_id
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.dedupe_rows = dedupe_rows
        self._lock: Any = None
        self.problems: list[str] = []
        self.recovered: list[str] = []
        # A Delta table's data files its key checks could not read (left out of them, named: `unreadable`)
        self._left_out = delta_write.LeftOut()
        self._notify = notify
        self._files: dict[str, list[str]] = {t: [] for t in TABLES}
        self._committed: list[tuple[str, pa.Array]] = []  # (part name, sample ids) this ingest committed (Delta)
        if self.location.path is None:  # S3: Delta tables, no lock (Delta's commit protocol orders the writers)
            try:
                delta_write.check_reachable(self.location)
            except StorageError as exc:
                raise StorageWriteError(str(exc)) from exc
            self.out = Path(tempfile.mkdtemp(prefix="evalboard-ingest-"))  # the quarantine file before its upload
            self.delta = True
            self.quarantine_path: Path | str = f"{self.location}/quarantine (Delta table, ingest_id {ingest_id})"
            self._quarantine_file = self.out / f"{ingest_id}.jsonl"
        else:
            self.out = out = self.location.path
            out.mkdir(parents=True, exist_ok=True)
            self._lock = _acquire(out / LOCK_NAME, notify)
            try:
                self.delta = is_delta_dataset(self.location)
                self.recovered = commit.recover(out)  # a killed ingest's part finished, its temporary files removed
                if not self.delta:
                    self._files = {t: self._readable(t) for t in TABLES}
                    for table in ("samples", "transcripts"):
                        (out / table).mkdir(exist_ok=True)
            except BaseException:
                self._release()
                raise
            self.quarantine_path = self._quarantine_file = out / "quarantine" / f"{ingest_id}.jsonl"
        self.quarantine_lines: Counter[str] = Counter()  # "record" / "file" lines written to it by this ingest
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
        self._pending: list[_Pending] = []  # converted batches waiting for `_commit`
        self._pending_bytes = 0
        self._window: dict[str, str] = {}  # sample_id -> position, for the pending batches
        # The semi-join's build side is one window of ids; no progress bar on the user's terminal.
        self._con = duckdb.connect(config={"memory_limit": "128MB", "enable_external_file_cache": False})
        self._con.execute("SET enable_progress_bar = false")
        self.stats: SourceStats | None = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _readable(self, table: str) -> list[str]:
        """The table's Parquet files the store uses (recursive, as the store): footer, schema and data pages read
        (`DataChecks`, remembered in DATA/.index/). Ids that live only in a file the store leaves out are not
        "already present": importing their source again brings them back."""
        folder = self.out / table
        candidates = []
        for path in sorted(folder.rglob("*.parquet")) if folder.is_dir() else []:
            try:
                st = path.stat()
            except OSError as exc:
                self.problems.append(f"{path}: {exc}")
                continue
            check = validate_file(path, table) if stat.S_ISREG(st.st_mode) else None
            if check is None or check.problem is not None:
                self.problems.append(f"{path}: {check.problem.reason if check else 'not a regular file'}")
                continue
            candidates.append((path, st.st_mtime_ns, st.st_size))
        good = []
        for key, bad in DataChecks(self.out).problems(candidates).items():
            if bad is None:
                good.append(str(key[0]))
            else:
                self.problems.append(f"{key[0]}: {bad}; its records are not taken as already present")
        return good

    # -- per source -------------------------------------------------------------------------
    def begin(self, source: Path, fmt: str, name: str | None = None) -> SourceStats:
        """Start counting and naming parts for a new source; `name` is what its counts and quarantine lines call it
        (default: its path; a fetched copy of an object is called by its `s3://` URI)."""
        self._source_index += 1
        self._part = 0
        self._source = name or str(source)
        self._slug = slug(source.stem if source.is_file() else source.name)
        self.stats = SourceStats(self._source, fmt, started_at=_now())
        return self.stats

    @_stops_ingest
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
        first = self._positions.get(sid) or self._window.get(sid)  # this batch, or one pending before it
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

    @_stops_ingest
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
        self._log(stats)
        return stats

    def abandon(self, error: WriteError) -> SourceStats | None:
        """After a `WriteError`: drop what is pending and log the source being written as stopped — what was
        committed counts, the rest of the file is an unknown count — so the ingest log still adds up. Best
        effort (the disk may be what failed); returns that source's counts, or None when none was open."""
        stats, self.stats = self.stats, None
        self._drop_unwritten()
        if stats is None:
            return None
        stats.records = stats.imported + stats.already_present + stats.rejected
        stats.unknown_count = True
        stats.problem = f"stopped: {error}"
        stats.finished_at = _now()
        with contextlib.suppress(WriteError):
            self._log(stats)
        return stats

    def _log(self, stats: SourceStats) -> None:
        log = {"ingest_id": self.ingest_id, **{k: v for k, v in asdict(stats).items() if k != "reasons"}}
        if stats.rejected or stats.unknown_count:
            log["quarantine"] = str(self.quarantine_path)
        if self.location.remote:  # no append to an S3 object: the log is a Delta table of JSON lines there
            try:
                delta_write.append_lines(self.location, "ingest_log", self.ingest_id, [json.dumps(log)])
            except StorageError as exc:
                raise StorageWriteError(str(exc)) from exc
            return
        try:
            with (self.out / "ingest_log.jsonl").open("a") as fh:
                fh.write(json.dumps(log) + "\n")
        except OSError as exc:
            raise WriteError(f"cannot write the ingest log in {self.out}: {exc}") from exc

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
            self.stats.reasons[reason_key(reason)] += 0  # listed, with no record count (the summary says unknown)
        else:
            self.stats.records += records
            self.stats.rejected += records
            self.stats.reasons[reason_key(reason)] += records

    def _write_quarantine(self, line: dict[str, Any], raw: Any) -> None:
        self.quarantine_lines["file" if "records" in line else "record"] += 1  # the summary reconciles the two
        try:
            if self._quarantine is None:
                self._quarantine_file.parent.mkdir(parents=True, exist_ok=True)
                self._quarantine = self._quarantine_file.open("a")
            line["at"] = _now()
            if raw is not None:
                line["raw"] = small_raw(raw)
            self._quarantine.write(json.dumps(line, default=str) + "\n")
        except OSError as exc:
            raise WriteError(f"cannot write the quarantine file {self.quarantine_path}: {exc}") from exc

    def close(self) -> None:
        """Close the quarantine file and release the dataset's lock (batches are flushed by `end`); parts
        still pending (an ingest stopped by an error) are dropped, never published."""
        self._drop_unwritten()
        try:
            if self._quarantine is not None:
                self._quarantine.close()
                self._quarantine = None
                if self.location.remote:  # appended at the end to the quarantine table of JSON lines
                    lines = self._quarantine_file.read_text(encoding="utf-8").splitlines()
                    delta_write.append_lines(self.location, "quarantine", self.ingest_id, lines)
        except StorageError as exc:
            raise StorageWriteError(str(exc)) from exc
        finally:
            self._con.close()
            self._release()
            if self.location.remote:
                with contextlib.suppress(OSError):
                    self._quarantine_file.unlink(missing_ok=True)
                    self.out.rmdir()

    def _drop_unwritten(self) -> None:
        """Forget the buffered rows and the pending batches (an ingest stopped before they were written)."""
        self._rows, self._transcripts, self._positions, self._extra, self._bytes = [], [], {}, {}, 0
        self._pending, self._window, self._pending_bytes = [], {}, 0

    def _release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # -- batches ----------------------------------------------------------------------------
    @_stops_ingest
    def flush(self) -> None:
        """Convert the buffered rows into a pending batch; pending batches are de-duplicated against the disk
        together (`_commit`) once `dedupe_rows` ids or `PENDING_BYTES` wait, or the source ends."""
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
        self._hold(samples, tx, positions, extra)

    @_stops_ingest
    def add_table(self, samples: pa.Table, transcripts: pa.Table, positions: list[str]) -> None:
        """Add an already canonical batch (distinct ids, `positions` in row order) after what is buffered;
        duplicates against earlier batches and the disk are settled as for `add`."""
        self.flush()
        ids = samples["sample_id"].to_pylist()
        self._hold(samples, transcripts, dict(zip(ids, positions, strict=True)), {})

    def _hold(
        self, samples: pa.Table, tx: pa.Table, positions: dict[str, str], extra: dict[str, list[dict[str, Any]]]
    ) -> None:
        repeated = [sid for sid in samples["sample_id"].to_pylist() if sid in self._window]
        for sid in repeated:  # pending from an earlier batch: the first one wins
            self.reject(positions[sid], f"duplicate sample_id {sid!r} (first seen at {self._window[sid]})")
        if repeated:
            samples = samples.filter(pc.invert(pc.is_in(samples["sample_id"], value_set=pa.array(repeated))))
        if samples.num_rows == 0:
            return
        keep = samples["sample_id"]
        for sid in keep.to_pylist():
            self._window[sid] = positions[sid]
        if repeated and tx.num_rows:  # a batch's transcripts are those of its samples: drop the repeated ones
            tx = tx.filter(pc.is_in(tx["sample_id"], value_set=keep))
        self._pending.append(_Pending(samples, tx, extra))
        self._pending_bytes += samples.nbytes + tx.nbytes
        if len(self._window) >= self.dedupe_rows or self._pending_bytes >= PENDING_BYTES:
            self._commit()

    def _commit(self) -> None:
        """De-duplicate the pending batches against the disk in one DuckDB query, then write them as one part."""
        pending, window = self._pending, self._window
        self._pending, self._window, self._pending_bytes = [], {}, 0
        if not pending:
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
        gone = pa.array(sorted(drop), pa.string())
        samples = pa.concat_tables([part.samples for part in pending])  # one part file per commit, not per batch
        tx = pa.concat_tables([part.transcripts for part in pending])
        extra: dict[str, list[dict[str, Any]]] = {}
        for part in pending:
            for table, rows in part.extra.items():
                extra.setdefault(table, []).extend(rows)
        if len(gone):
            samples = samples.filter(pc.invert(pc.is_in(samples["sample_id"], value_set=gone)))
            if tx.num_rows:
                tx = tx.filter(pc.invert(pc.is_in(tx["sample_id"], value_set=gone)))
        if samples.num_rows == 0:
            return
        if self.delta and tx.num_rows:  # a killed writer's committed transcripts whose samples never were: not twice
            known = [row[0] for row in self._present("transcripts", tx.select(["sample_id"]))]
            if known:
                tx = tx.filter(pc.invert(pc.is_in(tx["sample_id"], value_set=pa.array(known, pa.string()))))
        name = f"{self.ingest_id}-{self._source_index:03d}-{self._slug}-{self._part:04d}.parquet"
        self._part += 1
        parts = [
            (table, ext)
            for table, ext in ((t, self._extra_table(t, rows, samples["sample_id"])) for t, rows in extra.items())
            if ext is not None and ext.num_rows
        ]
        if tx.num_rows:  # samples last: a visible sample has its transcript
            parts.append(("transcripts", tx.sort_by("sample_id")))
        self._write([*parts, ("samples", samples)], name)
        self.stats.imported += samples.num_rows
        self.stats.ungraded += samples["harmful"].null_count
        self.stats.files.append(name)

    @_stops_ingest
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
        self._write([(table, data)], name)
        return data.num_rows

    @_stops_ingest
    def known_samples(self, sample_ids: list[str]) -> set[str]:
        """The ids among `sample_ids` of samples in the dataset's files (committed ones, this ingest's included)."""
        if not sample_ids:
            return set()
        keys = pa.table({"sample_id": pa.array(list(dict.fromkeys(sample_ids)), pa.string())})
        return {row[0] for row in self._present("samples", keys)}

    def _write(self, parts: list[tuple[str, pa.Table]], name: str) -> None:
        """Publish one part: each table's file staged under a temporary name, then all renamed into place in this
        order through the commit journal (`commit.publish`: a kill at any step leaves the part whole or absent)."""
        if self.delta:
            self._write_delta(parts, name)
            return
        staged: list[commit.Staged] = []
        try:
            for table, data in parts:
                row_group = TRANSCRIPT_ROW_GROUP if table == "transcripts" else None
                staged.append(commit.stage(table, data, self.out / table / name, row_group))
            commit.publish(self.out, staged)
        except OSError as exc:
            commit.discard(staged)
            raise WriteError(f"cannot write {'/'.join(t for t, _ in parts)} part {name} in {self.out}: {exc}") from exc
        for part in staged:
            self._files[part.table].append(str(part.final))
            if part.table not in ("samples", "transcripts") and self.stats is not None:
                self.stats.extra[part.table] = self.stats.extra.get(part.table, 0) + part.rows
        self._file_sources[name] = self._source

    def _write_delta(self, parts: list[tuple[str, pa.Table]], name: str) -> None:
        """Publish one part as one Delta commit per table, in order (samples last; `commit.append_in_order`)."""
        try:
            commit.append_in_order(self.location, parts, TRANSCRIPT_ROW_GROUP, f"{self.ingest_id} {name}")
        except StorageError as exc:
            raise StorageWriteError(f"cannot write {'/'.join(t for t, _ in parts)} part {name}: {exc}") from exc
        for table, data in parts:
            if table == "samples":
                self._committed.append((name, data["sample_id"].combine_chunks()))
            elif table != "transcripts" and self.stats is not None:
                self.stats.extra[table] = self.stats.extra.get(table, 0) + data.num_rows
        self._file_sources[name] = self._source

    def _present_delta(self, table: str, keys: pa.Table) -> list[tuple]:
        """`_present` on a Delta table: its current snapshot (other writers' commits included); for samples, the part
        this ingest committed an id in (None: another ingest did). A data file that cannot be read is left out of the
        check and named (`unreadable`): it costs only the keys it holds, which may be imported again."""
        known = len(self._left_out.files)
        try:
            if KEYS[table] != ("sample_id",):
                return delta_write.present(self.location, table, keys, "ingest_present_keys_delta", {}, self._left_out)
            bounds = pc.min_max(keys["sample_id"]).as_py()
            params = {"lo": bounds["min"], "hi": bounds["max"]}
            found = delta_write.present(self.location, table, keys, "ingest_present_ids_delta", params, self._left_out)
        finally:
            if len(self._left_out.files) > known and self._notify is not None:
                for bad in list(self._left_out.files.values())[known:]:
                    self._notify.write(f"evalboard ingest: warning: {unreadable_text(self.location, bad)}\n")
                self._notify.flush()
        ids = [r[0] for r in found]
        ours: dict[str, str] = {}
        if ids and table == "samples":
            got = pa.array(ids, pa.string())
            for part, committed in self._committed:
                for sid in committed.filter(pc.is_in(committed, value_set=got)).to_pylist():
                    ours.setdefault(sid, part)
        return [(sid, ours.get(sid)) for sid in ids]

    @property
    def unreadable(self) -> list[delta_write.Unreadable]:
        """The data files of the dataset's Delta tables this ingest's duplicate checks could not read, by table."""
        return [u for _, u in sorted(self._left_out.files.items())]

    def _present(self, table: str, keys: pa.Table) -> list[tuple]:
        """The rows of `keys` whose key is already on disk (for samples: with the file this ingest wrote it to,
        or None when an earlier ingest did)."""
        if self.delta:
            try:
                return self._present_delta(table, keys) if keys.num_rows else []
            except duckdb.Error as exc:
                raise WriteError(self._damaged_delta(table, exc)) from exc
        files = self._files[table]
        if not files or keys.num_rows == 0:
            return []
        name = "ingest_present_ids" if KEYS[table] == ("sample_id",) else "ingest_present_keys"
        self._con.register("batch", keys)
        try:
            params: dict[str, Any] = {"files": files}
            if name == "ingest_present_ids":  # the ids' range lets Parquet statistics skip files and row groups
                bounds = pc.min_max(keys["sample_id"]).as_py()
                params |= {"ingest": self.ingest_id + "-", "lo": bounds["min"], "hi": bounds["max"]}
            return self._con.execute(query_text(name), params).fetchall()
        except duckdb.Error as exc:
            raise WriteError(self._damaged(table, files, exc)) from exc
        finally:
            self._con.unregister("batch")

    def _damaged_delta(self, table: str, exc: Exception) -> str:
        """Why the check against a Delta table failed although every data file's key columns read (an unreadable file
        is left out before this: `delta_write.present`)."""
        return (
            f"cannot check for duplicates in the {table} table of {self.location}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        )

    def _damaged(self, table: str, files: list[str], exc: Exception) -> str:
        """Why the de-duplication query failed, naming the existing file that cannot be read, if one is."""
        for path in files:
            bad = data_problem(path, list(KEYS[table]))
            if bad is not None:
                return (
                    f"cannot check for duplicates: the existing file {path} is damaged ({bad}); "
                    f"move it out of {self.out} (the Data health page lists it) and run the same command again"
                )
        return f"cannot check for duplicates in {self.out}: {type(exc).__name__}: {exc}"

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
        """Convert a batch; when the batch fails, convert row by row and quarantine the rows that fail (with the
        reason), so one record's value never costs the others."""
        schema = TABLES[table]
        try:
            return pa.Table.from_pylist(items, schema=schema), {c["sample_id"] for c in items}
        except ROW_FAILURES:
            pass
        good: set[str] = set()
        rows: list[dict[str, Any]] = []
        for row in items:
            try:
                pa.Table.from_pylist([row], schema=schema)
            except ROW_FAILURES as exc:
                position = positions.get(row["sample_id"], "?")
                why = "holds text that cannot be stored as UTF-8 (a lone surrogate)"
                why = why if isinstance(exc, UnicodeEncodeError) else "does not fit the canonical schema"
                self.reject(position, f"{what} {why}: {exc}", row)
                continue
            good.add(row["sample_id"])
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=schema), good


def unreadable_text(location: Location, bad: delta_write.Unreadable) -> str:
    """One unreadable data file, as the ingest says it: where, why, and what that costs."""
    return (
        f"the data file {location.table_uri(bad.table)}/{bad.name} ({bad.rows_text()}) cannot be read ({bad.problem}); "
        "it is left out of the duplicate check"
    )


def is_delta_dataset(location: Location) -> bool:
    """Whether ingest writes Delta tables here: on S3 always; locally unless the folder already holds plain Parquet
    samples (today's layout, kept as it is: `evalboard migrate OLD NEW` converts it)."""
    if location.path is None:
        return True
    samples = location.path / "samples"
    if (samples / DELTA_LOG).is_dir():
        return True
    return not (samples.is_dir() and any(samples.rglob("*.parquet")))


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
