"""Reuse what pure functions computed from equal inputs: figures and derived tables a rerun asks for again.

A page rerun (a click, a widget change, another session on the same view) recomputes the same figures and
statistics from the same small frames; building Plotly objects or running exact tests costs 5-40 ms each.
`@reused` keeps the last results per function, keyed by the arguments' content (frames by their schema and
row hashes, dataclasses by their fields), so it is safe across sessions and never stale: other data gives
another key. Results are shared: callers must not mutate them.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import polars as pl

F = TypeVar("F", bound=Callable[..., Any])


def content_key(value: Any) -> Any:
    """A hashable stand-in for a value, equal for equal content."""
    if isinstance(value, pl.DataFrame):
        return ("frame", tuple(value.schema.items()), tuple(value.hash_rows().to_list()) if value.height else ())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__, *(content_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return ("map", *sorted((repr(k), content_key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("seq", *(content_key(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", *sorted(repr(content_key(v)) for v in value))
    hash(value)  # anything else must be hashable (str, numbers, None, enums…)
    return (type(value).__qualname__, value)


def reused(maxsize: int = 64) -> Callable[[F], F]:
    """Decorator: return the earlier result for arguments of equal content (LRU of `maxsize`)."""

    def decorate(func: F) -> F:
        results: OrderedDict[Any, Any] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                key = (content_key(args), content_key(kwargs))
            except TypeError:  # an argument we cannot key: just compute
                return func(*args, **kwargs)
            with lock:
                if key in results:
                    results.move_to_end(key)
                    return results[key]
            value = func(*args, **kwargs)
            with lock:
                results[key] = value
                while len(results) > maxsize:
                    results.popitem(last=False)
            return value

        wrapper.cache_clear = results.clear  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
