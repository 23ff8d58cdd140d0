"""Derived data the store keeps beside the data, in `DATA/.index/` (docs/ARCHITECTURE.md, "Rollups"): written under a
temporary name and renamed, pruned when what it was derived from changes or goes away."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROLLUP_DIR = Path(".index") / "rollups"


def save(table: pa.Table, path: Path) -> None:
    """Write a derived table beside the data (temporary name, then rename); a read-only folder keeps it in memory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        logging.getLogger(__name__).info("%s kept in memory only: %s", path.name, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def save_numpy(path: Path, **arrays: np.ndarray) -> None:
    """Save one array (`.npy`) or several (`.npz`) beside the data, as `save` does (raises OSError when read-only)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            if path.suffix == ".npy":
                np.save(out, *arrays.values(), allow_pickle=False)
            else:
                np.savez(out, **arrays)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def prune(folder: Path, pattern: str, keep: set[Path]) -> None:
    """Remove derived files of files that changed or went away (another store rebuilds what it still needs)."""
    with contextlib.suppress(OSError):
        for path in folder.glob(pattern):
            if path not in keep:
                path.unlink(missing_ok=True)
