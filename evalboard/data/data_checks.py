"""Whether each Parquet file's data pages can be read whole (docs/ARCHITECTURE.md, "Damaged files").

A file's footer can read while its data pages do not (bit rot, a bad copy): only reading every page tells. Each
file version (path relative to the dataset, mtime, size) is read once; the result is kept in
`DATA/.index/data-checks.json`, so the store, the ingest writer and every later process reuse it. A folder that
cannot be written keeps the results in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evalboard.core.schema import data_problem

CHECKS_FILE = Path(".index") / "data-checks.json"
VERSION = 1  # bump when what a check reads changes: older results are then read again
DAMAGED = "damaged data: the file opens but its contents cannot be read"
WORKERS = min(4, os.cpu_count() or 1)  # files read at once

Key = tuple[Path, int, int]  # (path, mtime_ns, size)


class DataChecks:
    """The data-page check of one dataset folder's files, remembered per file version."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / CHECKS_FILE
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def _name(self, path: Path, mtime: int, size: int) -> str:
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            rel = path
        return f"{rel}|{mtime}|{size}"

    def _load(self) -> dict[str, str | None]:
        with contextlib.suppress(OSError, ValueError, TypeError):
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved.get("version") == VERSION and isinstance(saved.get("files"), dict):
                return {str(k): (None if v is None else str(v)) for k, v in saved["files"].items()}
        return {}

    def problems(self, files: Iterable[Key], prune: bool = False) -> dict[Key, str | None]:
        """Each file's data problem (None: every row group decodes), reading only the versions not checked before.

        `prune`: `files` are all the dataset's files, so results of versions no longer there are forgotten."""
        files = list(files)
        with self._lock:
            known = self._load() | self._known
            names = {key: self._name(*key) for key in files}
            todo = [(key, name) for key, name in names.items() if name not in known]
            # A file at a time per thread: reading one file's row groups keeps about one core busy, so two files at
            # once halve the wall time on two cores (bench/README.md, "Data-page checks").
            with ThreadPoolExecutor(max(1, min(WORKERS, len(todo)))) as pool:
                found = list(pool.map(lambda item: data_problem(item[0][0]), todo))
            fresh = {
                name: None if bad is None else f"{DAMAGED} ({bad})" for (_, name), bad in zip(todo, found, strict=True)
            }
            self._known = known | fresh
            if fresh or (prune and set(known) - set(names.values())):
                on_disk = self._load() | self._known  # another process may have saved meanwhile
                if prune:
                    on_disk = {n: v for n, v in on_disk.items() if n in set(names.values())}
                self._known = on_disk
                self._save(on_disk)
            return {key: self._known[name] for key, name in names.items()}

    def record(self, key: Key, problem: str) -> None:
        """Remember that this file version's data cannot be read (a query met damage it was thought free of)."""
        with self._lock:
            self._known[self._name(*key)] = problem
            self._save(self._load() | {self._name(*key): problem})

    def _save(self, files: dict[str, str | None]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"version": VERSION, "files": files}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # a read-only folder: the results stay in memory
            with contextlib.suppress(OSError):
                tmp.unlink()
