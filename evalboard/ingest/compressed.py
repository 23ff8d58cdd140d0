"""Sources that travel gzip-compressed (`.jsonl.gz`, `.json.gz`, or a gzip file whatever its name): recognised by
their magic bytes, read as a stream, never inflated whole."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(head: bytes) -> bool:
    """True when a file's first bytes are gzip's."""
    return head.startswith(GZIP_MAGIC)


def inner_suffix(path: Path) -> str:
    """The extension that says what a file holds: `.jsonl` for `a.jsonl.gz`, `.json` for `a.json`."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


@contextmanager
def open_binary(path: Path) -> Iterator[tuple[BinaryIO, Callable[[], int]]]:
    """(a binary stream of the file's content, decompressed when it is gzip; the bytes of the file read so far,
    for progress against its size on disk)."""
    with path.open("rb") as raw:
        if is_gzip(raw.read(2)):
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                yield fh, raw.tell  # type: ignore[misc]
        else:
            raw.seek(0)
            yield raw, raw.tell


def head(path: Path, size: int) -> bytes:
    """Up to `size` bytes of a file's content (decompressed for gzip; what a damaged gzip gave before its damage)."""
    with open_binary(path) as (fh, _):
        try:
            return fh.read(size)
        except (OSError, EOFError):
            return b""
