"""Source → reader → labels → checks → de-duplication → writer, with every record accounted for."""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalboard.ingest import columnar
from evalboard.ingest.formats import LABEL_FORMATS, get, jsonl
from evalboard.ingest.labels import Labeler, LabelError
from evalboard.ingest.records import Item, Options, Parsed, Rejected
from evalboard.ingest.writer import DatasetWriter, SourceStats, WriteError

STRING_COLUMNS = (
    "run_id",
    "snapshot",
    "intervention",
    "training_stage",
    "scenario_family",
    "scenario",
    "grader",
    "explanation",
    "error",
    "source",
)
BOOL_COLUMNS = ("harmful", "classifier_verdict")
INT64 = (-(2**63), 2**63 - 1)
PROBE_RECORDS = 10_000  # records read before an ingest with --map to find a path that no record has
COLUMNAR = True  # JSONL through Arrow batch by batch (evalboard/ingest/columnar.py); False: record by record


def row_problem(row: dict[str, Any]) -> str | None:
    """Why a labelled row cannot be imported, or None when it fits the canonical schema."""
    sid = row.get("sample_id")
    if not isinstance(sid, str) or not sid:
        return f"sample_id must be a non-empty string, got {sid!r}"
    if not isinstance(row.get("snapshot"), str) or not row["snapshot"]:
        return "no snapshot: the source names no model and no --set/--map/--runs label gives one"
    for col in STRING_COLUMNS:
        if row.get(col) is not None and not isinstance(row[col], str):
            return f"{col} must be a string, got {type(row[col]).__name__} {row[col]!r}"
    for col in BOOL_COLUMNS:
        if row.get(col) is not None and not isinstance(row[col], bool):
            return f"{col} must be true/false/null, got {type(row[col]).__name__} {row[col]!r}"
    for col in ("stage_step", "epoch"):
        value = row.get(col)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{col} must be an integer, got {type(value).__name__} {value!r}"
        if value is not None and not INT64[0] <= value <= INT64[1]:
            return f"{col} must be a 64-bit integer, got {str(value)[:40]}"
    score = row.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        return f"score must be a number, got {type(score).__name__} {score!r}"
    if score is not None and not math.isfinite(score):  # NaN, Infinity: no rate or threshold can use it
        return f"score must be a finite number, got {score!r}"
    conds = row.get("conditions")
    if conds is not None and (
        not isinstance(conds, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in conds.items())
    ):
        return "conditions must be an object of string values"
    if row.get("created_at") is not None and not isinstance(row["created_at"], datetime):
        return f"created_at must be a timestamp, got {row['created_at']!r}"
    return None


def _size(row: dict[str, Any], messages: list[dict[str, Any]] | None) -> int:
    """Rough bytes a buffered row holds: its text fields, conditions and messages (bounds a batch's memory)."""
    size = 256 + sum(len(v) for v in row.values() if isinstance(v, str))
    size += sum(len(k) + len(v) + 16 for k, v in (row.get("conditions") or {}).items())
    for m in messages or ():
        size += 64 + len(m.get("content") or "") + len(m.get("reasoning") or "")
        size += sum(len(c.get("arguments") or "") + 32 for c in m.get("tool_calls") or ())
    return size


def unmapped(
    sources: list[tuple[Path, str]], options: Options, labeler: Labeler, limit: int = PROBE_RECORDS
) -> tuple[list[str], int, list[str]]:
    """Before anything is written: the `--map` columns whose path none of the sources' first `limit` records has
    (a bad argument), how many records were looked at, and the top-level fields of the first one (for the
    message). Reads with a throwaway labeler, so the ingest's own counts start at zero."""
    probe = Labeler(maps=labeler.maps)
    quiet = dataclasses.replace(options, progress=None)
    fields: list[str] = []

    def settled() -> bool:  # enough read, or every path found in some record
        found = probe.records and all(probe.absent[c] < probe.records for c in probe.maps)
        return probe.records >= limit or bool(found)

    for path, fmt in sources:
        if settled():
            break
        if fmt in LABEL_FORMATS:
            continue
        reader = get(fmt).read(path, quiet)
        try:
            for item in reader:
                if isinstance(item, Parsed) and item.ctx is not None:
                    probe.count_absent(item.ctx)
                    fields = fields or [str(k) for k in item.ctx]
                    if settled():
                        break
        except Exception:  # the import itself says what is wrong with the file
            pass
        finally:
            reader.close()
    missing = [c for c in probe.maps if probe.records and probe.absent[c] == probe.records]
    return missing, probe.records, fields


def new_ingest_id() -> str:
    """A sortable id for one ingest command: UTC time plus a short random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def ingest_source(
    writer: DatasetWriter,
    path: Path,
    fmt: str,
    options: Options,
    labeler: Labeler,
    on_item: Callable[[SourceStats], None] | None = None,
) -> SourceStats:
    """Import one source into `writer`; returns its counts (records == imported + already present + rejected)."""
    stats = writer.begin(path, fmt)
    try:
        if fmt in LABEL_FORMATS:
            get(fmt).ingest(writer, stats, path, options)
        elif fmt == "jsonl" and COLUMNAR and columnar.eligible(labeler):
            _jsonl_batches(writer, stats, path, options, labeler, on_item)
        else:
            for item in get(fmt).read(path, options):
                _handle(writer, stats, item, labeler, options, str(path))
                if on_item is not None:
                    on_item(stats)
    except WriteError:
        raise
    except Exception as exc:  # a reader failing mid-file: what was read stays, the unread rest is unknowable
        where = f"after record {stats.records}" if stats.records else "file"
        writer.reject_file(f"{type(exc).__name__}: {exc}", None, where)
    return writer.end()


def _jsonl_batches(
    writer: DatasetWriter,
    stats: SourceStats,
    path: Path,
    options: Options,
    labeler: Labeler,
    on_item: Callable[[SourceStats], None] | None,
) -> None:
    """A JSONL file batch by batch through Arrow; a batch the columnar path cannot vouch for goes line by line
    through `jsonl.parse_line` and `_handle`, exactly as the per-record reader would."""
    count = 0
    for first, lines, consumed, converted in columnar.converted(path, str(path), labeler, options.ungraded_ok):
        if converted is not None:
            samples, transcripts, positions = converted
            stats.records += samples.num_rows
            count += samples.num_rows
            writer.add_table(samples, transcripts, positions)
        else:
            for number, line in enumerate(lines, first):
                if isinstance(line, jsonl.Overlong):
                    count += 1
                    _handle(writer, stats, jsonl.overlong(line, f"line {number}"), labeler, options, str(path))
                elif line.strip():
                    count += 1
                    item = jsonl.parse_line(line.strip(), f"line {number}")
                    _handle(writer, stats, item, labeler, options, str(path))
        if options.progress is not None:
            options.progress(consumed)
        if on_item is not None:
            on_item(stats)
    if count == 0:
        _handle(writer, stats, Rejected("file", "empty file: no records", records=0), labeler, options, str(path))


def _handle(
    writer: DatasetWriter, stats: SourceStats, item: Item, labeler: Labeler, options: Options, source: str
) -> None:
    if isinstance(item, Rejected):
        if item.records == 1:
            stats.records += 1
            writer.reject(item.position, item.reason, item.raw)
        else:
            writer.reject_file(item.reason, item.records, item.position, at_least=item.at_least)
        return
    assert isinstance(item, Parsed)
    stats.records += 1
    row = item.row
    row.setdefault("source", source)
    read_id = row.get("sample_id")
    try:
        messages = labeler.apply(row, item.ctx, item.keys, item.messages)
    except LabelError as exc:
        writer.reject(item.position, str(exc), _raw(item))
        return
    except Exception as exc:  # a value no label rule foresaw (an odd type, an overflow): this record only
        writer.reject(item.position, f"cannot label record: {type(exc).__name__}: {exc}", _raw(item))
        return
    if item.extra and row.get("sample_id") != read_id:  # `--map/--set sample_id`: its verdicts and labels follow
        for rows in item.extra.values():
            for extra_row in rows:
                if extra_row.get("sample_id") == read_id:
                    extra_row["sample_id"] = row.get("sample_id")
    if "harmful" not in row:
        if not options.ungraded_ok:
            writer.reject(item.position, MISSING_VERDICT, _raw(item))
            return
        row["harmful"] = None
    problem = row_problem(row)
    if problem:
        writer.reject(item.position, problem, _raw(item))
        return
    writer.add(row, messages, item.position, _size(row, messages), item.extra)


MISSING_VERDICT = (
    "missing verdict: no 'harmful' field (use null for ungraded, or pass --ungraded-ok or --map harmful=FIELD)"
)


def _raw(item: Parsed) -> Any:
    return item.ctx if item.ctx is not None else {k: v for k, v in item.row.items() if k != "created_at"}
