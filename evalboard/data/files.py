"""The dataset folder's files: what is there, which the store uses, and why one is left out (docs/ARCHITECTURE.md,
"Damaged files"). A file is checked once per version (path, mtime, size): its footer and schema here, its data pages
by `DataChecks`; a file whose data turns out not to read when a query meets it is marked damaged and left out."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from evalboard.core.manifest import MANIFEST_NAME, Manifest
from evalboard.core.schema import TABLES, FileCheck, data_problem, validate_file
from evalboard.data.data_checks import DAMAGED, DataChecks
from evalboard.data.delta import TableVersion

INGEST_LOG = "ingest_log.jsonl"
_LOG = logging.getLogger(__name__)

Key = tuple[Path, int, int]  # (path, mtime_ns, size): one version of one file


@dataclass(frozen=True)
class FileStatus:
    """One Parquet file of the dataset and whether the store uses it."""

    path: Path
    table: str  # "samples" or "transcripts"
    rows: int
    problem: str | None = None
    held: str = ""  # for a file left out: what it held, where knowable (rows, snapshot, family, source)

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class LeftOut:
    """A file of the dataset the store cannot use, as a verdict must name it (docs/ARCHITECTURE.md, "Damaged files")."""

    file: str  # relative to the dataset folder
    table: str
    problem: str
    held: str  # what it held, where knowable ("" when nothing is)

    def __str__(self) -> str:
        return f"{self.file} ({self.table}): {self.problem}" + (f"; it held {self.held}" if self.held else "")


@dataclass(frozen=True)
class DuplicateFile:
    """A good samples file holding sample ids already seen earlier (in an earlier file by path order, or above)."""

    path: Path
    ids: int  # distinct ids whose row in this file is not counted


@dataclass(frozen=True)
class Health:
    """What the store found in the folder: used files, rejected files, the manifest."""

    root: Path
    exists: bool
    files: tuple[FileStatus, ...] = ()
    manifest: Manifest = field(default_factory=Manifest)
    manifest_problem: str | None = None
    ingest_log: Path | None = None  # written by `evalboard ingest`, one JSON line per imported source
    duplicates: tuple[DuplicateFile, ...] = ()  # rows left out so each sample id counts once
    ingest_log_problems: tuple[str, ...] = ()  # lines of the ingest log that are not JSON records (each named)
    delta: tuple[TableVersion, ...] = ()  # the Delta tables read, each at its version (docs/ARCHITECTURE.md)
    as_of: int | str | None = None  # the store is pinned to this samples version or time
    storage_problem: str | None = None  # storage could not be asked just now: what is shown may be old

    def good(self, table: str) -> list[Path]:
        return [f.path for f in self.files if f.table == table and f.ok]

    @property
    def rejected(self) -> list[FileStatus]:
        return [f for f in self.files if not f.ok]

    @property
    def left_out(self) -> tuple[LeftOut, ...]:
        """Every file left out, named relative to the dataset folder: a verdict on the rest rests on partial data."""
        return tuple(
            LeftOut(str(f.path.relative_to(self.root)), f.table, f.problem or "", f.held) for f in self.rejected
        )

    @property
    def has_samples(self) -> bool:
        return bool(self.good("samples"))


def scan(root: Path, skip: set[str] | frozenset[str] = frozenset()) -> tuple:
    """(table, path, mtime, size, problem) of every Parquet file plus the manifest: changes when data changes.

    A path that cannot be a readable file gets a problem instead of a size: a dangling symbolic link, a
    directory or FIFO named `*.parquet`, a file that vanished since it was listed. Nothing here opens a
    file, so a FIFO cannot block the scan.
    """
    entries = []
    for table in TABLES:
        if table in skip:  # a Delta table: its files are those of its log, not of its folder
            continue
        folder = root / table
        try:
            paths = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
        except OSError as exc:  # the folder changed or became unreadable while being listed
            _LOG.warning("cannot list %s: %s", folder, exc)
            paths = []
        for p in paths:
            try:
                st = p.stat()  # follows symbolic links
            except OSError as exc:
                gone = "a symbolic link to a missing file" if p.is_symlink() else "the file vanished while listed"
                entries.append((table, p, None, None, os_problem(gone, exc)))
                continue
            if stat.S_ISDIR(st.st_mode):
                entries.append((table, p, st.st_mtime_ns, None, "a directory, not a Parquet file"))
            elif not stat.S_ISREG(st.st_mode):
                entries.append((table, p, st.st_mtime_ns, None, "not a regular file (e.g. a pipe or device)"))
            else:
                entries.append((table, p, st.st_mtime_ns, st.st_size, None))
    extras = []
    for name in (MANIFEST_NAME, INGEST_LOG):
        with contextlib.suppress(OSError):  # absent (or vanished): the fingerprint says so
            extras.append((name, (root / name).stat().st_mtime_ns))
    return (root.is_dir(), tuple(entries), tuple(extras))


class FileChecks:
    """What is known of each file version of one dataset folder: its footer's check, whether its data reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.validated: dict[Key, FileCheck] = {}
        self.data_checks = DataChecks(root)  # each file version's data pages read once (DATA/.index/)
        # Files whose footer reads but whose data does not (found when a query over them fails): left out.
        self.damaged: dict[Key, str] = {}
        self.read_whole: set[Key] = set()  # files read to the end without an error

    def check(self, table: str, path: Path, mtime: int, size: int) -> tuple[FileStatus, FileCheck]:
        """Validate one file (once per mtime/size); return its status and what validation found."""
        key = (path, mtime, size)
        if key not in self.validated:
            self.validated[key] = validate_file(path, table)
        check = self.validated[key]
        problem = check.problem.reason.replace(f"{self.root}{os.sep}", "") if check.problem else None
        if problem:
            _LOG.warning("left out %s: %s", path, check.problem.reason)
        return FileStatus(path, table, check.rows, problem), check

    def check_data(self, entries: tuple) -> None:
        """Read the data pages of every file version not read before (`DataChecks`: once, remembered in DATA/.index/)
        and mark each that does not decode damaged: a damaged file is named as soon as the store opens the folder,
        not when a query happens to meet it."""
        usable = []
        for table, path, mtime, size, problem in entries:
            key = (path, mtime, size)
            if problem is None:
                if key not in self.validated:
                    self.validated[key] = validate_file(path, table)
                if self.validated[key].problem is None:
                    usable.append(key)  # damaged ones too: their saved result is kept, not read again
        for key, bad in self.data_checks.problems(usable, prune=True).items():
            if bad is not None and key not in self.damaged:
                self.damaged[key] = bad
                _LOG.warning("left out %s: %s", key[0], bad)

    def find_damage(self, entries: tuple, tables: tuple[str, ...]) -> bool:
        """Read each usable file of `tables` not read whole before, row group by row group; a file whose data
        cannot be read (its footer can: bit rot, a bad copy) is marked damaged and left out from then on.
        Only called after a query failed, so a dataset without damage is read whole at most once."""
        found = False
        for table, path, mtime, size, problem in entries:
            key = (path, mtime, size)
            check = self.validated.get(key)
            if table not in tables or problem or key in self.damaged or key in self.read_whole:
                continue
            if check is None or check.problem:
                continue
            bad = data_problem(path)
            if bad is None:
                self.read_whole.add(key)
                continue
            self.damaged[key] = f"{DAMAGED} ({bad})"
            self.data_checks.record(key, self.damaged[key])
            _LOG.warning("left out %s: %s", path, self.damaged[key])
            found = True
        return found


def read_ingest_log(path: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    """The ingest log's part file names → the source each was imported from, and its bad lines, each named
    ("line 7: not a JSON record (cut short?)"); a missing log gives neither. One bad line never hides the rest."""
    sources: dict[str, str] = {}
    problems: list[str] = []
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                    if not isinstance(line, dict):
                        raise ValueError("not an object")
                except ValueError:
                    problems.append(f"line {number}: not a JSON record (cut short or edited by hand)")
                    continue
                files = line.get("files")
                for name in files if isinstance(files, list) else ():
                    sources[str(name)] = str(line.get("source", ""))
    except OSError:
        pass
    return sources, tuple(problems)


def what_it_held(status: FileStatus, sources: Mapping[str, str]) -> str:
    """What a left-out file held, where knowable: its rows and (samples) snapshots and families from the footer's
    statistics, and the source `evalboard ingest` imported it from."""
    parts = []
    if status.rows:
        parts.append(f"{status.rows:,} {'samples' if status.table == 'samples' else 'rows'}")
    if status.table == "samples":
        parts += footer_values(status.path, ("snapshot", "intervention", "scenario_family"))
    source = sources.get(status.path.name)
    if source:
        parts.append(f"imported from {source}")
    return ", ".join(parts)


def footer_values(path: Path, columns: tuple[str, ...]) -> list[str]:
    """'snapshot atlas' (one value) or 'scenario_family blackmail … murder' (a range), from row-group statistics."""
    out = []
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a pipe or device would block the read: nothing to know
            return out
        meta = pq.read_metadata(path)
        names = meta.schema.to_arrow_schema().names
    except Exception:  # the footer itself does not read: nothing is knowable from it
        return out
    for column in columns:
        if column not in names:
            continue
        index, lows, highs = names.index(column), [], []
        for group in range(meta.num_row_groups):
            stats = meta.row_group(group).column(index).statistics
            if stats is None or not stats.has_min_max:
                break
            lows.append(stats.min)
            highs.append(stats.max)
        else:
            if lows:
                low, high = min(lows), max(highs)
                out.append(f"{column} {low!r}" if low == high else f"{column} {low!r} … {high!r}")
    return out


def os_problem(what: str, exc: OSError) -> str:
    return f"{what} ({exc.strerror or type(exc).__name__})"


def unusable(table: str, path: Path, problem: str, footer: FileCheck | None = None) -> tuple[FileStatus, FileCheck]:
    """The status of a path that is not a readable file, or (`footer`: its footer's check) whose data is damaged."""
    return FileStatus(path, table, footer.rows if footer else 0, problem), FileCheck(0, None, frozenset(), None)


def good_keys(entries: tuple, good: list[tuple[FileStatus, FileCheck]]) -> list[Key]:
    """(path, mtime, size) of the good samples files `good`, in the scan's (path) order."""
    paths = {st.path for st, _ in good}
    return [(p, m, size) for t, p, m, size, _ in entries if t == "samples" and p in paths]
