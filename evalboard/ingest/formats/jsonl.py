"""JSONL: one object per line with the canonical field names, `messages` as a list of messages.

A missing `sample_id` becomes a content hash of the line (stable across re-imports). `harmful` should be
present: `null` means ungraded; an absent one is a missing verdict and the line is rejected (unless
`--ungraded-ok` or `--map harmful=FIELD`). The record's own `model` is the snapshot when no label names one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from evalboard.core.schema import SAMPLES
from evalboard.ingest.awareness import split_parts
from evalboard.ingest.compressed import open_binary
from evalboard.ingest.formats.base import HEAD, Claim, Format, Head
from evalboard.ingest.records import (
    MAX_DEPTH,
    Item,
    Options,
    Parsed,
    Rejected,
    conditions,
    depth,
    loads,
    loads_json,
    message,
    timestamp,
    tool_call,
)

# The longest line read (docs/ARCHITECTURE.md, "Memory"): a longer one is quarantined unread, so a gzip bomb of one
# line cannot exhaust memory.
MAX_RECORD_BYTES = 64 * 1024 * 1024
READ_BYTES = 8 * 1024 * 1024  # read at a time
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, as Windows editors write before the first line
REASONING_FIELDS = ("reasoning", "reasoning_content", "thinking")  # a message's reasoning, apart from its text
FIELDS = tuple(n for n in SAMPLES.names if n not in ("conditions", "created_at"))


@dataclass(frozen=True)
class Overlong:
    """A line longer than `MAX_RECORD_BYTES`, skipped without being held in memory: `length` bytes."""

    length: int


def split_lines(fh: BinaryIO, size: int = READ_BYTES, longest: int | None = None) -> Iterator[bytes | Overlong]:
    """The lines of a stream without their newline, read `size` bytes at a time; a line longer than `longest`
    bytes (default `MAX_RECORD_BYTES`) is an `Overlong`, so no line costs more memory than that."""
    longest = MAX_RECORD_BYTES if longest is None else longest
    rest, skipped = b"", -1  # skipped >= 0: inside an overlong line, that many bytes so far
    while block := fh.read(size):
        if skipped >= 0:
            end = block.find(b"\n")
            if end < 0:
                skipped += len(block)
                continue
            yield Overlong(skipped + end)
            skipped, block = -1, block[end + 1 :]
        parts = (rest + block).split(b"\n")
        rest = parts.pop()  # the unfinished last line (b"" after a newline)
        for line in parts:
            yield line if len(line) <= longest else Overlong(len(line))
        if len(rest) > longest:
            skipped, rest = len(rest), b""
    if skipped >= 0:
        yield Overlong(skipped)
    elif rest:
        yield rest if len(rest) <= longest else Overlong(len(rest))


def overlong(line: Overlong, position: str) -> Rejected:
    """The quarantine entry of a line too long to read."""
    limit = f"{MAX_RECORD_BYTES >> 20} MiB" if MAX_RECORD_BYTES % 2**20 == 0 else f"{MAX_RECORD_BYTES:,} bytes"
    return Rejected(position, f"record longer than {limit} ({line.length:,} bytes): not read (MAX_RECORD_BYTES)")


def read(path: Path, options: Options) -> Iterator[Item]:
    """Yield one Parsed/Rejected item per non-blank line (a UTF-8 byte order mark before the first is skipped)."""
    count = 0
    with open_binary(path) as (fh, position):  # gzip is read as a stream
        for number, line in enumerate(split_lines(fh), 1):
            if isinstance(line, Overlong):
                count += 1
                yield overlong(line, f"line {number}")
                continue
            if number == 1:
                line = line.removeprefix(BOM)
            if not line.strip():
                continue
            count += 1
            yield parse_line(line.strip(), f"line {number}")
            if options.progress is not None and count % 1000 == 0:
                options.progress(position())
    if count == 0:
        yield Rejected("file", "empty file: no records", records=0)


def parse_line(line: bytes, position: str) -> Item:
    """One JSONL line to a Parsed item (or Rejected with the reason): whatever is wrong with it costs this line."""
    try:
        obj = loads(line)
        if line.count(b"[") + line.count(b"{") > MAX_DEPTH and depth(obj) > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    except ValueError as exc:
        return Rejected(position, f"invalid JSON: {_why(line, exc)}", line.decode("utf-8", "replace"))
    if not isinstance(obj, dict):
        return Rejected(position, f"expected a JSON object, got {type(obj).__name__}", obj)
    try:
        return parse_object(obj, position, line)
    except Exception as exc:  # a shape no rule foresaw: this record only (docs/ARCHITECTURE.md, "Ingest")
        return Rejected(position, f"cannot read record: {type(exc).__name__}: {exc}", obj)


def _why(line: bytes, exc: ValueError) -> str:
    """Why a line is not valid JSON, in the standard library's words (they name NaN, a number beyond a double, a
    lone surrogate), so the reason is the same whichever parser read the line."""
    if loads is loads_json:
        return str(exc)
    try:
        loads_json(line)
    except ValueError as plain:
        return str(plain)
    return str(exc)


def parse_object(obj: dict[str, Any], position: str, line: bytes | None = None) -> Item:
    """A canonical-named object to a Parsed item."""
    row = {name: obj[name] for name in FIELDS if name in obj}
    if not row.get("snapshot") and isinstance(obj.get("model"), str):
        row["snapshot"] = obj["model"]
    if not row.get("sample_id"):
        digest = hashlib.sha256(line if line is not None else repr(sorted(obj.items())).encode()).hexdigest()
        row["sample_id"] = "sha256-" + digest[:32]
    try:
        row["created_at"] = timestamp(obj.get("created_at"))
    except (ValueError, TypeError, OverflowError, OSError) as exc:  # OverflowError/OSError: epoch out of range
        return Rejected(position, f"created_at: {exc}", obj)
    conds = obj.get("conditions")
    if conds is not None and not isinstance(conds, dict):
        return Rejected(position, f"conditions must be an object, got {type(conds).__name__}", obj)
    row["conditions"] = conditions(conds) if conds is not None else None
    try:
        messages = normalise_messages(obj.get("messages"))
    except (TypeError, ValueError) as exc:
        return Rejected(position, f"messages: {exc}", obj)
    keys = tuple(str(obj[k]) for k in ("run_id", "model", "snapshot") if obj.get(k))
    return Parsed(row, messages, position, ctx=obj, keys=keys)


def _text(content: Any) -> str | None:
    """Message content as text: a string, or the text parts of a content list."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                parts.append(str(part.get("text") or part.get("reasoning") or ""))
        return "\n".join(p for p in parts if p)
    raise TypeError(f"content must be a string or a list of parts, got {type(content).__name__}")


def _split(content: Any) -> tuple[str | None, str | None]:
    """(text, reasoning) of a message's content: reasoning / thinking parts are kept apart from the text."""
    if isinstance(content, list):
        return split_parts(content)
    return _text(content), None


def _tool_calls(calls: Any) -> list[dict[str, Any]] | None:
    if calls is None:
        return None
    if not isinstance(calls, list):
        raise TypeError("tool_calls must be a list")
    out = []
    for call in calls:
        if not isinstance(call, dict):
            raise TypeError("each tool call must be an object")
        fn = call.get("function")
        if isinstance(fn, dict):  # OpenAI shape: {"function": {"name", "arguments"}}
            out.append(tool_call(call.get("id"), str(fn.get("name")), fn.get("arguments") or {}))
        else:
            out.append(tool_call(call.get("id"), str(fn or call.get("name")), call.get("arguments") or {}))
    return out


def normalise_messages(messages: Any) -> list[dict[str, Any]] | None:
    """A list of {role, content, tool_calls…} objects to canonical messages."""
    if messages is None:
        return None
    if not isinstance(messages, list):
        raise TypeError(f"expected a list, got {type(messages).__name__}")
    out = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise ValueError(f"message {i} must be an object with a string 'role'")
        tcid = msg.get("tool_call_id")
        content, part_reasoning = _split(msg.get("content"))
        out.append(
            message(
                msg["role"],
                content,
                _tool_calls(msg.get("tool_calls")),
                str(tcid) if tcid is not None else None,
                str(msg["name"]) if msg.get("name") is not None else msg.get("function"),
                message_reasoning(msg) or part_reasoning,
            )
        )
    return out


def message_reasoning(message: Mapping[str, Any]) -> str | None:
    """A JSONL message's reasoning field (`reasoning`, `reasoning_content` or `thinking`), if any."""
    for key in REASONING_FIELDS:
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list):  # a list of parts
            text, thought = split_parts(value)
            if (thought or text).strip():
                return thought or text
        if isinstance(value, Mapping):  # e.g. {"content": "...", "summary": ...}
            text = value.get("content") or value.get("text") or value.get("summary")
            if isinstance(text, str) and text.strip():
                return text
    return None


def _first_line_is_object(text: bytes) -> bool:
    line, newline, _ = text.partition(b"\n")
    if not newline and len(text) >= HEAD:
        return False  # one line longer than the sniffed head: cannot tell
    try:
        return isinstance(loads(line), dict)
    except ValueError:
        return False


class Jsonl(Format):
    """JSONL, plain or gzip-compressed (gzip is how JSONL travels): by its name, else by a first line that is an
    object."""

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")
    reads_gzip = True

    def _claim(self, head: Head) -> Claim:
        return Claim(self.name, "JSONL (one record per line)" + (", gzip-compressed" if head.gzip else ""))

    def by_name(self, head: Head) -> Claim | None:
        return self._claim(head) if head.suffix in self.suffixes else None  # empty or garbled: the reader says where

    def by_content(self, head: Head) -> Claim | None:
        return self._claim(head) if head.text.startswith(b"{") and _first_line_is_object(head.text) else None

    def read(self, path: Path, options: Options) -> Iterator[Item]:
        return read(path, options)
