"""What a reader yields (a parsed sample or a rejected record) and small value helpers shared by readers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_DEPTH = 512  # nesting levels (arrays and objects) a JSONL record may have: docs/ARCHITECTURE.md, "Ingest"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # only an escape can put a surrogate in decoded text
_INT64_MIN, _UINT64_END = -(2**63), 2**64


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is beyond a double (not finite)")
    return value


def _int(text: str) -> int | float:
    """An integer literal as orjson reads it: an int within 64 bits, a (finite) float beyond."""
    value = int(text)
    return value if _INT64_MIN <= value < _UINT64_END else _finite_float(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _strings(obj: Any) -> Iterator[str]:
    """Every string (keys included) inside a parsed JSON value, without recursion."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, value in item.items():
                yield key
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def loads_json(data: str | bytes) -> Any:
    """The standard library's parser held to the rules orjson applies, so a record means the same with or
    without orjson: UTF-8 only, no NaN/Infinity, no number beyond a double, no lone surrogate (a string that
    cannot be stored as UTF-8). Raises ValueError."""
    text = bytes(data).decode("utf-8") if not isinstance(data, str) else data
    try:
        obj = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_int)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if _SURROGATE_ESCAPE.search(text):
        for value in _strings(obj):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"lone surrogate in string {value[:40]!r}") from None
    return obj


try:  # orjson is ~5x faster on large JSONL; the standard library, held to orjson's rules, is the fallback
    import orjson

    def loads(data: str | bytes) -> Any:
        """Parse JSON strictly (orjson's rules; `loads_json` applies the same ones)."""
        return orjson.loads(data)

    def dumps(obj: Any) -> str:
        try:
            return orjson.dumps(obj, default=str).decode()
        except TypeError:  # e.g. integers beyond 64 bits
            return json.dumps(obj, default=str)

except ImportError:  # pragma: no cover - depends on the environment
    loads = loads_json

    def dumps(obj: Any) -> str:
        return json.dumps(obj, default=str)


def depth(obj: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting levels of arrays and objects in a parsed JSON value (a scalar is 0), counted up to `limit` + 1."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


@dataclass
class Parsed:
    """One sample read from a source: a canonical `row` (None = unknown) and its transcript messages."""

    row: dict[str, Any]
    messages: list[dict[str, Any]] | None
    position: str
    ctx: Mapping[str, Any] | None = None  # what `--map col=path` paths are resolved against
    keys: tuple[str, ...] = ()  # ids a runs manifest may match (run id, model …)
    extra: dict[str, list[dict[str, Any]]] | None = None  # rows for further tables (verdicts, awareness)


@dataclass
class Rejected:
    """A record (or a whole file) that could not be imported, and why.

    `records` is how many records the rejection stands for: 1 for one record, the count a broken file was
    meant to hold (0 for an empty file), None when that is unknowable.
    """

    position: str
    reason: str
    raw: Any = None
    records: int | None = 1
    at_least: bool = False  # `records` is a lower bound (a truncated file: only the entries that survive)


@dataclass
class Options:
    """Importer options from the command line."""

    scorer: str | None = None
    harmful_value: str | None = None
    threshold: float | None = None
    ungraded_ok: bool = False  # a record without a verdict imports as ungraded (harmful NULL)
    progress: Callable[[int], None] | None = None  # readers report bytes consumed in the current file
    extra: dict[str, Any] = field(default_factory=dict)


Item = Parsed | Rejected
Reader = Iterator[Item]

TRUE_TOKENS = frozenset({"c", "correct", "1", "1.0", "true", "t", "yes", "y"})
FALSE_TOKENS = frozenset({"i", "incorrect", "0", "0.0", "false", "f", "no", "n"})


class VerdictError(ValueError):
    """A grader value that cannot be read as a verdict."""


def verdict(
    value: Any, harmful_value: str | None = None, threshold: float | None = None
) -> tuple[bool | None, float | None]:
    """(harmful, score) from a grader value: C/I, 1/0, true/false, yes/no, or a number with a threshold.

    `harmful_value` names the value meaning harmful (default: the truthy one); None stays None (ungraded).
    """
    if value is None:
        return None, None
    if threshold is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) >= threshold, float(value)
    token = str(value).strip().lower()
    if harmful_value is not None:
        want = harmful_value.strip().lower()
        if want in TRUE_TOKENS or want in FALSE_TOKENS:
            polarity = want in TRUE_TOKENS
        else:
            return token == want, None
    else:
        polarity = True
    if token in TRUE_TOKENS:
        truth = True
    elif token in FALSE_TOKENS:
        truth = False
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise VerdictError(f"numeric score {value!r} needs --threshold to become a verdict")
    else:
        raise VerdictError(f"unrecognised verdict value {value!r} (expected C/I, 1/0, true/false, yes/no)")
    score = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return truth == polarity, score


def timestamp(value: Any) -> datetime | None:
    """A UTC datetime from an ISO string, epoch seconds or datetime; naive times are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def timestamp_or_none(value: Any) -> datetime | None:
    """`timestamp`, but None for a value that is no timestamp (an optional field of a label file)."""
    try:
        return timestamp(value)
    except (ValueError, TypeError, OverflowError, OSError):
        return None


def conditions(values: Mapping[str, Any] | None) -> dict[str, str]:
    """Scalar entries of a metadata mapping as strings (nested values as JSON)."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if value is None:
            continue
        if isinstance(value, str):
            out[str(key)] = value
        elif isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        elif isinstance(value, int | float):
            out[str(key)] = str(value)
        else:
            out[str(key)] = json.dumps(value, sort_keys=True, default=str)
    return out


MISSING: Any = object()  # `lookup`'s answer for a path that is absent (as opposed to present and null)


def lookup(obj: Any, path: str, default: Any = None) -> Any:
    """Follow a dotted path (`metadata.intervention`, `scores.judge.value.harmful`) through dicts/objects;
    `default` when a step is absent (a present null stays None)."""
    cur = obj
    for part in path.split("."):
        if cur is None:
            return default
        if isinstance(cur, Mapping):
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, list | tuple) and part.isdigit():
            if int(part) >= len(cur):
                return default
            cur = cur[int(part)]
        elif hasattr(cur, part):
            cur = getattr(cur, part)
        else:
            return default
    return cur


def message(
    role: str,
    content: str | None,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: str | None = None,
    name: str | None = None,
    reasoning: str | None = None,
) -> dict[str, Any]:
    """One transcript message with exactly the canonical keys (`reasoning`: the model's thinking, kept apart)."""
    return {
        "role": role,
        "content": content,
        "tool_calls": tool_calls or None,
        "tool_call_id": tool_call_id,
        "name": name,
        "reasoning": reasoning,
    }


def tool_call(id_: str | None, function: str, arguments: Any) -> dict[str, Any]:
    """One canonical tool call; `arguments` is kept as a JSON string."""
    if not isinstance(arguments, str):
        arguments = dumps(arguments)
    return {"id": id_, "function": function, "arguments": arguments}


def small_raw(raw: Any, limit: int = 20_000) -> Any:
    """The raw record for quarantine when small; otherwise a truncated text prefix."""
    try:
        text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    except (TypeError, ValueError):
        text = repr(raw)
    if len(text) <= limit:
        return raw if not isinstance(raw, bytes) else text
    return {"truncated": True, "prefix": text[:2000], "length": len(text)}


_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, limit: int = 48) -> str:
    """A file-name-safe short form of `text`."""
    return _SLUG.sub("_", text).strip("_")[:limit] or "source"
