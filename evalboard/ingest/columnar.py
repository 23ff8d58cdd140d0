"""JSONL read a batch of lines at a time into Arrow, mapped and checked by vectorised expressions.

The per-record path (`jsonl.parse_line` → labels → `pipeline.row_problem`) stays the definition of what a
line means. This path gives the same rows for the lines it accepts and hands a batch back to the
per-record path whenever it cannot decide a line cheaply (a line that does not parse, a value of an
unexpected type, a missing id or verdict, a duplicate id, a message shape beyond role/content/name/…):
that batch is then read line by line, so every bad line gets its own quarantine entry with its reason.
A batch is all or nothing, so the counts stay exact either way.

Only the labels that are constants take this path (`--set` of a plain column, `--ungraded-ok`); `--map`,
a runs manifest or `--set conditions.<key>` read every record in Python.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from evalboard.core.schema import MESSAGE, SAMPLES, TRANSCRIPTS
from evalboard.ingest.compressed import open_binary
from evalboard.ingest.formats.jsonl import BOM, Overlong, split_lines
from evalboard.ingest.labels import DEFAULTS, Labeler, LabelError, _typed
from evalboard.ingest.records import MAX_DEPTH

LINES = 5_000  # lines per batch: one Arrow parse (a part file gathers the batches of one commit)
WORKERS = min(2, os.cpu_count() or 1)  # batches parsed at once (more threads only contend on a small machine)
READ_BYTES = 8 * 1024 * 1024  # read at a time (a bigger read costs more memory than it saves time)
# A batch's lines together (docs/ARCHITECTURE.md, "Memory"): Arrow's parse holds a few copies of each batch, and
# `WORKERS` + 1 batches are in flight; 4 MiB keeps 400 records of 1 MB under 600 MiB (bench/memory.py).
BATCH_BYTES = 4 * 1024 * 1024
MESSAGES = pa.list_(MESSAGE)
MESSAGE_FIELDS = {"role", "content", "tool_call_id", "name", "reasoning"}  # anything else: per-record path
STRING = ("run_id", "snapshot", "intervention", "training_stage", "scenario_family", "scenario", "grader")
STRING += ("explanation", "error", "source", "model")
# Explicit types for the canonical fields: a value of another JSON type fails the batch (→ per-record path).
PARSE_SCHEMA = pa.schema(
    [pa.field("sample_id", pa.string())]
    + [pa.field(n, pa.string()) for n in STRING]
    + [pa.field(n, pa.int64()) for n in ("stage_step", "epoch")]
    + [pa.field(n, pa.bool_()) for n in ("harmful", "classifier_verdict")]
    + [pa.field("score", pa.float64()), pa.field("created_at", pa.string())]
)


class Fallback(Exception):
    """This batch needs the per-record path (the reason is for debugging only)."""


def eligible(labeler: Labeler) -> bool:
    """Whether the labels are constants the batch path can apply (anything else reads record by record)."""
    return not labeler.maps and not labeler.manifest and not any(c.startswith("conditions.") for c in labeler.sets)


def batches(
    path: Path, lines: int | None = None, size: int | None = None, limit: int | None = None
) -> Iterator[tuple[int, list[bytes | Overlong], int]]:
    """(first line number, raw lines without their newline, bytes of the file read so far) of a file, read `size`
    bytes at a time (decompressed when it is gzip). A batch holds `lines` lines, or fewer when they reach `limit`
    bytes together (a batch of large records is bounded by bytes, not lines); the last batch holds the rest. A
    line too long to hold is an `Overlong`; a UTF-8 byte order mark before the first line is skipped, as the
    per-record reader skips it."""
    lines, size, limit = lines or LINES, size or READ_BYTES, limit or BATCH_BYTES
    number, group, held = 1, [], 0
    with open_binary(path) as (fh, position):
        for line in split_lines(fh, size):
            if number == 1 and not group and isinstance(line, bytes):
                line = line.removeprefix(BOM)
            group.append(line)
            held += (len(line) if isinstance(line, bytes) else 0) + 1
            if len(group) >= lines or held >= limit:
                yield number, group, position()
                number, group, held = number + len(group), [], 0
        if group:
            yield number, group, position()


def converted(
    path: Path, source: str, labeler: Labeler, ungraded_ok: bool, workers: int = WORKERS
) -> Iterator[tuple[int, list[bytes | Overlong], int, tuple[pa.Table, pa.Table, list[str]] | None]]:
    """(first line, lines, bytes consumed, `convert`'s result or None when the batch needs the per-record path)
    for each batch of a file, in order. Batches are parsed `workers` at a time on threads (Arrow's JSON parser
    and compute release the GIL), at most `workers` batches ahead of the caller."""

    def one(batch: tuple[int, list[bytes | Overlong], int]) -> tuple[pa.Table, pa.Table, list[str]] | None:
        try:
            return convert(batch[1], batch[0], source, labeler, ungraded_ok)
        except Exception:  # Fallback, or anything unforeseen: the per-record path decides each line
            return None

    if workers <= 1:
        for batch in batches(path):
            yield (*batch, one(batch))
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="ingest-jsonl") as pool:
        ahead: deque[tuple[tuple[int, list[bytes | Overlong], int], Future]] = deque()
        for batch in batches(path):
            ahead.append((batch, pool.submit(one, batch)))
            if len(ahead) > workers:
                done, future = ahead.popleft()
                yield (*done, future.result())
        while ahead:
            done, future = ahead.popleft()
            yield (*done, future.result())


def convert(
    raw: list[bytes | Overlong], first: int, source: str, labeler: Labeler, ungraded_ok: bool
) -> tuple[pa.Table, pa.Table, list[str]]:
    """(samples, transcripts, positions) of a batch of non-blank lines; raises Fallback when unsure."""
    if not all(isinstance(line, bytes) and line.lstrip().startswith(b"{") for line in raw):
        raise Fallback("a line that is not an object, a blank or an overlong line")  # a `null` line crashes Arrow
    data = b"\n".join(raw)  # type: ignore[arg-type]  # all bytes: checked above
    if not data.isascii():
        try:  # Arrow's JSON reader passes invalid UTF-8 (an encoded surrogate) through into the strings
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Fallback("a line that is not UTF-8") from None
    try:
        parsed = pj.read_json(
            io.BytesIO(data),
            read_options=pj.ReadOptions(block_size=max(len(data) + 1, 1 << 20), use_threads=True),
            parse_options=pj.ParseOptions(explicit_schema=PARSE_SCHEMA, unexpected_field_behavior="infer"),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise Fallback(str(exc)) from None
    n = parsed.num_rows
    if n != len(raw):  # Arrow skips blank lines; the per-record path skips them too, and numbers the rest
        raise Fallback("a blank line")
    if raw and raw[0].startswith(BOM):  # Arrow skips a BOM at the start of its input; mid-file it is invalid JSON
        raise Fallback("a byte order mark")
    _check_values(parsed)
    cols: dict[str, pa.Array] = {}

    def col(name: str) -> pa.Array:
        return parsed.column(name).combine_chunks()

    sid = col("sample_id")
    if sid.null_count or pc.any(pc.equal(pc.utf8_length(sid), 0)).as_py():
        raise Fallback("a line without sample_id (content hash)")
    cols["sample_id"] = sid
    for name in STRING:
        if name != "model":
            cols[name] = col(name)
    snapshot = cols["snapshot"]
    no_snapshot = pc.fill_null(pc.equal(pc.utf8_length(snapshot), 0), True)
    cols["snapshot"] = pc.if_else(no_snapshot, col("model"), snapshot)
    for name in ("stage_step", "epoch", "harmful", "classifier_verdict", "score"):
        cols[name] = col(name)
    if cols["source"].null_count:  # an absent "source" is the file; a present null stays null (per record)
        if b'"source"' in data:
            raise Fallback("source: null or absent")
        cols["source"] = pc.fill_null(cols["source"], source)
    cols["created_at"] = _timestamps(col("created_at"))
    cols["conditions"] = _conditions(parsed, n)
    harmful_set = "harmful" in labeler.sets
    for column, value in labeler.sets.items():
        try:
            typed = _typed(column, value, labeler.harmful_value, labeler.threshold)
        except LabelError as exc:  # checked when the labeler was made; stay on the per-record path
            raise Fallback(str(exc)) from None
        cols[column] = pa.nulls(n, SAMPLES.field(column).type) if typed is None else pa.repeat(pa.scalar(typed), n)
    for column, default in DEFAULTS.items():
        value = cols[column]
        empty = pc.fill_null(pc.equal(pc.utf8_length(value), 0), False) if pa.types.is_string(value.type) else None
        value = pc.fill_null(value, default)
        if empty is not None:
            value = pc.if_else(empty, default, value)
        cols[column] = value
    if not harmful_set and not ungraded_ok and cols["harmful"].null_count:
        raise Fallback("a null or absent verdict")
    snapshot = cols["snapshot"]
    if snapshot.null_count or pc.any(pc.equal(pc.utf8_length(snapshot), 0)).as_py():
        raise Fallback("no snapshot")
    if pc.count_distinct(cols["sample_id"]).as_py() != n:
        raise Fallback("duplicate sample_id in the batch")
    try:
        samples = pa.Table.from_arrays([cols[f.name].cast(f.type) for f in SAMPLES], schema=SAMPLES)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise Fallback(str(exc)) from None
    transcripts = _transcripts(parsed, cols["sample_id"])
    positions = [f"line {first + i}" for i in range(n)]
    return samples, transcripts, positions


def _check_values(parsed: pa.Table) -> None:
    """Fall back where Arrow is more lenient than the record path (`records.loads`): NaN, Infinity or a number
    beyond a double anywhere in a line, or nesting deeper than `MAX_DEPTH` (a row is one level, each array or
    object inside it one more: the inferred type's depth is the deepest line's)."""
    stack = [(column, 2) for column in parsed.columns]
    while stack:
        array, level = stack.pop()
        kind = array.type
        if pa.types.is_floating(kind):
            if pc.any(pc.invert(pc.is_finite(array))).as_py():
                raise Fallback("a number that is NaN, Infinity or beyond a double")
        elif pa.types.is_struct(kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind):
            if level > MAX_DEPTH:
                raise Fallback(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(array, pa.ChunkedArray):
                stack.extend((chunk, level) for chunk in array.chunks)
            elif pa.types.is_struct(kind):
                stack.extend((array.field(i), level + 1) for i in range(kind.num_fields))
            else:
                stack.append((array.values, level + 1))


def _timestamps(values: pa.Array) -> pa.Array:
    """ISO-8601 strings as UTC timestamps (naive ones taken as UTC, as the per-record path does)."""
    if values.null_count == len(values):
        return pa.nulls(len(values), pa.timestamp("us", "UTC"))
    if pc.any(pc.fill_null(pc.equal(pc.utf8_length(values), 0), False)).as_py():
        raise Fallback("empty created_at")
    for target in (pa.timestamp("us", "UTC"), pa.timestamp("us")):
        try:
            return values.cast(target).cast(pa.timestamp("us")).cast(pa.timestamp("us", "UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    raise Fallback("created_at in a form for Python's parser")


def _conditions(parsed: pa.Table, n: int) -> pa.Array:
    """An object of string values → map<string, string> without its null entries."""
    if "conditions" not in parsed.column_names:
        return pa.nulls(n, SAMPLES.field("conditions").type)
    conds = parsed.column("conditions").combine_chunks()
    if pa.types.is_null(conds.type):
        return pa.nulls(n, SAMPLES.field("conditions").type)
    if not pa.types.is_struct(conds.type):
        raise Fallback("conditions is not an object")
    names = [conds.type.field(i).name for i in range(conds.type.num_fields)]
    fields = [conds.field(i) for i in range(len(names))]
    if any(not (pa.types.is_string(f.type) or pa.types.is_null(f.type)) for f in fields):
        raise Fallback("a condition that is not a string")
    present = conds.is_valid().to_numpy(zero_copy_only=False)
    if not names:
        valid = np.zeros((n, 0), dtype=bool)
    else:
        valid = np.stack([f.is_valid().to_numpy(zero_copy_only=False) for f in fields], axis=1) & present[:, None]
    offsets = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(np.int32)
    flat = np.flatnonzero(valid.ravel())
    row, which = flat // max(len(names), 1), flat % max(len(names), 1)
    keys = pa.array(names, pa.string()).take(pa.array(which))
    stacked = pa.concat_arrays([f.cast(pa.string()) for f in fields]) if fields else pa.array([], pa.string())
    items = stacked.take(pa.array(which * n + row))
    mask = pa.array(~present)
    return pa.MapArray.from_arrays(pa.array(offsets), keys, items, mask=mask)


def _transcripts(parsed: pa.Table, ids: pa.Array) -> pa.Table:
    """The batch's messages (rows without `messages` have no transcript) as canonical message structs."""
    if "messages" not in parsed.column_names:
        return TRANSCRIPTS.empty_table()
    messages = parsed.column("messages").combine_chunks()
    if pa.types.is_null(messages.type):
        return TRANSCRIPTS.empty_table()
    if not pa.types.is_list(messages.type) or not (
        pa.types.is_struct(messages.type.value_type) or pa.types.is_null(messages.type.value_type)
    ):
        raise Fallback("messages is not a list of objects")
    keep = messages.is_valid()
    messages, ids = messages.filter(keep), ids.filter(keep)
    items = messages.flatten()
    offsets = pc.subtract(messages.offsets, messages.offsets[0])
    if items.null_count:
        raise Fallback("a message that is not an object")
    if pa.types.is_null(items.type):
        if len(items):
            raise Fallback("a message that is not an object")
        items = pa.StructArray.from_arrays([pa.array([], pa.string())], names=["role"])
    names = {items.type.field(i).name for i in range(items.type.num_fields)}
    if not names <= MESSAGE_FIELDS or "role" not in names and len(items):
        raise Fallback("a message field for the per-record path")

    def part(name: str) -> pa.Array:
        if name not in names:
            return pa.nulls(len(items), pa.string())
        value = items.field(name)
        if not (pa.types.is_string(value.type) or pa.types.is_null(value.type)):
            raise Fallback(f"message {name} is not a string")
        return value.cast(pa.string())

    role = part("role")
    if role.null_count:
        raise Fallback("a message without a string role")
    reasoning = part("reasoning")  # blank reasoning is no reasoning
    blank = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(reasoning)), 0), False)
    reasoning = pc.if_else(blank, pa.scalar(None, pa.string()), reasoning)
    struct = pa.StructArray.from_arrays(
        [role, part("content"), pa.nulls(len(items), MESSAGE.field("tool_calls").type)]
        + [part("tool_call_id"), part("name"), reasoning],
        fields=list(MESSAGE),
    )
    lists = pa.ListArray.from_arrays(offsets, struct)
    return pa.Table.from_arrays([ids, lists], schema=TRANSCRIPTS)
