"""Whole objects on remote storage copied to local files: the one way the package fetches one (a Delta data file's
replica copy, a dataset's `dataset.toml`, a data file the search index reads, an S3 source an ingest imports).

An object is read as stored (no decompression on the fly, whatever its name ends with) in large sequential reads,
never the small ranged reads a Parquet or zip reader would make. A failure to write the local copy is a
`LocalWriteError` (an OSError), so a caller can tell the disk's fault from the storage's; anything else raised is the
storage's own error (pyarrow's OSError or ArrowException), left for `location.storage_error` to put in one line.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyarrow.fs as pafs

CHUNK = 8 * 2**20  # bytes per read: one request each


class LocalWriteError(OSError):
    """Writing the local copy failed: the local disk's fault, not the storage's."""


def chunks(fs: pafs.FileSystem, key: str) -> Iterator[bytes]:
    """The object's bytes as stored, `CHUNK` at a time. Raises what the storage raises."""
    with fs.open_input_stream(key, compression=None) as source:
        while chunk := source.read(CHUNK):
            yield chunk


def save(fs: pafs.FileSystem, key: str, out: BinaryIO) -> None:
    """Write the whole object to the open file `out`. Raises LocalWriteError when `out` cannot be written."""
    for chunk in chunks(fs, key):
        try:
            out.write(chunk)
        except OSError as exc:
            raise _disk(exc) from exc


def copy(fs: pafs.FileSystem, key: str, target: Path) -> None:
    """The whole object to `target`, atomically: written under a temporary name beside it, then renamed, so a reader
    of `target` (another session or replica on this disk) never sees a partial copy. Raises LocalWriteError when the
    copy cannot be written."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(tmp, "wb")  # noqa: SIM115 -- closed below; its opening failure is the disk's
        except OSError as exc:
            raise _disk(exc) from exc
        with out:
            save(fs, key, out)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _disk(exc) from exc
    finally:
        with contextlib.suppress(OSError):  # renamed, never made, or its folder could not be made
            tmp.unlink(missing_ok=True)


def _disk(exc: OSError) -> LocalWriteError:
    return LocalWriteError(exc.errno, exc.strerror or str(exc))
