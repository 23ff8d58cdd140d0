"""A replica's local copies of a remote Delta table's data files (docs/ARCHITECTURE.md, "Delta tables"), so DuckDB's
own Parquet reader reads them as it reads a local dataset's files.

A Delta data file never changes once its commit names it (a new version adds files; a compaction or vacuum removes
some), so a copy fetched once is good for every version naming it: a new version costs only its new files. The
table's log stays the one list of which files make a version; a copy is fetched whole (a temporary name, then an
atomic rename: replicas and sessions sharing this disk never read a partial copy), its size checked against the log.
Copies no version read here has named for `KEEP_DAYS` are deleted (a session pinned to an old version keeps its
files' copies current by reading them).
"""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.fs as pafs

from evalboard.core.location import Location, storage_error
from evalboard.data import objects
from evalboard.data.delta import DeltaFile

MIRROR_DIR = "delta-files"  # under the replica's cache folder (`delta.cache_dir`)
KEEP_DAYS = 7
FETCHES = 8  # files fetched at once


def mirror(location: Location, table: str, files: list[DeltaFile], folder: Path) -> list[Path]:
    """The local copy of each of `files` (the table's data files, in order), fetching those not copied before.
    Raises StorageError when storage cannot be read; a copy whose size differs from the log's is fetched again."""
    target = folder / MIRROR_DIR / table
    local = [target / unquote(f.name) for f in files]
    missing = [(f, p) for f, p in zip(files, local, strict=True) if not _complete(p, f.size)]
    if missing:
        try:
            fs, base = pafs.FileSystem.from_uri(location.table_uri(table))
            with ThreadPoolExecutor(min(FETCHES, len(missing))) as pool:
                list(pool.map(lambda fp: objects.copy(fs, f"{base}/{unquote(fp[0].name)}", fp[1]), missing))
        except (OSError, pa.ArrowException) as exc:
            raise storage_error(exc, location) from None
    now = time.time()
    for path in local:  # read now: kept another KEEP_DAYS
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))
    _prune(target, set(local), now - KEEP_DAYS * 86_400)
    return local


def _complete(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _prune(folder: Path, keep: set[Path], before: float) -> None:
    """Delete the copies not in `keep` last read before `before` (and temporary files as old: a fetch that died)."""
    with contextlib.suppress(OSError):
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file() and path not in keep and path.stat().st_mtime < before:
                    path.unlink()
