"""Which files a SOURCE argument stands for, and which importer reads each (`--format auto`).

Files decide their format, not folders: each file is judged by its extension, its first bytes (an `.eval`
is a zip, Parquet starts with PAR1) and, for JSON, its first record. Folders are walked recursively. A
folder is taken whole only when its layout really matches: an agentic-misalignment experiment (it holds
<model>/<condition>/sample_NNN/response.json) or a canonical dataset (samples/*.parquet); the other
files beside or below them are still judged one by one.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evalboard.ingest import compressed
from evalboard.ingest.compressed import inner_suffix, is_gzip
from evalboard.ingest.formats import agentic_misalignment, scout
from evalboard.ingest.formats.agentic_misalignment import is_experiment
from evalboard.ingest.formats.petri import is_transcript
from evalboard.ingest.records import loads

FORMATS = ("inspect", "agentic-misalignment", "petri", "jsonl", "parquet", "scout")
SUFFIXES = {
    "inspect": (".eval", ".json"),
    "petri": (".json", ".eval"),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet",),
    "scout": (".parquet",),
}
DATA_SUFFIXES = (".eval", ".json", ".jsonl", ".ndjson", ".parquet")  # files that claim to be eval data
DATASET_PARTS = ("samples", "transcripts", "verdicts", "awareness", "quarantine")
HEAD = 64 * 1024
ZIP, PARQUET = b"PK\x03\x04", b"PAR1"
INSPECT_LISTING = "logs.json"  # Inspect writes this index of a log folder beside the logs: not a log


@dataclass(frozen=True)
class Found:
    """One source to import: a file or a whole folder, the format it was taken for (None: unrecognised,
    quarantined as a file) and why."""

    path: Path
    format: str | None
    why: str


@dataclass
class Discovery:
    """What the SOURCE arguments hold: sources to import, files passed over (not eval data), and entries skipped
    because they are no file that can be read (a symlink loop, a broken link, a FIFO, a device), with why."""

    sources: list[Found]
    ignored: list[Path]
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def not_a_file(path: Path) -> str | None:
    """Why `path` is no regular file or folder that can be read (None when it is one). Never opens it, so a
    FIFO cannot block discovery."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        if path.is_symlink():
            return f"a broken symbolic link ({exc.strerror})"
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "not a regular file"


def _resolved(path: Path) -> Path:
    """`path` with its links resolved, or made absolute when that fails (a loop that appeared meanwhile)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def sniff(path: Path) -> Found:
    """The format of one file from its name and first bytes."""
    suffix = inner_suffix(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD)
    except OSError as exc:
        return Found(path, None, f"cannot be opened: {exc.strerror or exc}")
    if is_gzip(head):
        return _sniff_gzip(path, suffix)
    if head.startswith(ZIP):
        if suffix == ".eval" or b"header.json" in head or b"samples/" in head or b"_journal/" in head:
            return Found(path, "inspect", "Inspect log (.eval zip)")
        return Found(path, None, "a zip archive that is not an Inspect .eval log")
    if head.startswith(PARQUET):
        if scout.is_results_file(path):
            return Found(path, "scout", "Inspect Scout scanner results (Parquet)")
        return Found(path, "parquet", "Parquet file")
    if suffix == ".eval":
        return Found(path, "inspect", "Inspect log (.eval), though it does not start like a zip")
    if suffix == ".parquet":
        return Found(path, "parquet", "Parquet file, though it does not start with PAR1")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in (".jsonl", ".ndjson"):
        return Found(path, "jsonl", "JSONL (one record per line)")  # empty or garbled: the reader says where
    if text.startswith(b"{"):
        if is_transcript(head):
            return Found(path, "petri", "Petri transcript")
        if b'"eval"' in head and (b'"version"' in head or b'"status"' in head):
            return Found(path, "inspect", "Inspect log (.json)")
        if _first_line_is_object(text):
            return Found(path, "jsonl", "JSONL (one record per line)")
        return Found(path, None, "JSON of an unrecognised shape: not an Inspect log, Petri transcript or JSONL")
    if text.startswith(b"[") and suffix in DATA_SUFFIXES:
        return Found(path, None, "a JSON array: records must be one JSON object per line (JSONL)")
    return Found(path, None, "not a format evalboard reads")


def _sniff_gzip(path: Path, suffix: str) -> Found:
    """A gzip file: JSONL when named so or when its first decompressed line is an object (gzip is how JSONL
    travels); anything else is named with what to do."""
    text = compressed.head(path, HEAD).lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix in (".jsonl", ".ndjson") or (
        text.startswith(b"{") and not is_transcript(text) and _first_line_is_object(text)
    ):
        return Found(path, "jsonl", "JSONL (one record per line), gzip-compressed")
    return Found(path, None, "gzip-compressed, but not JSONL: decompress it (gunzip) and import the result")


def _first_line_is_object(text: bytes) -> bool:
    line, newline, _ = text.partition(b"\n")
    if not newline and len(text) >= HEAD:
        return False  # one line longer than the sniffed head: cannot tell
    try:
        return isinstance(loads(line), dict)
    except ValueError:
        return False


def is_dataset(path: Path) -> bool:
    """True for a canonical dataset folder: samples/ holds Parquet files."""
    folder = path / "samples"
    return folder.is_dir() and any(p.suffix == ".parquet" for p in folder.iterdir())


def discover(sources: list[Path], fmt: str = "auto", exclude: Path | None = None) -> Discovery:
    """The sources to import in a stable order, each path once, and the files passed over.

    `exclude` (the output dataset) is never read as a source.
    """
    found: list[Found] = []
    ignored: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    skip = _resolved(exclude) if exclude is not None else None
    for src in sources:
        why = not_a_file(src)
        if why is not None:
            skipped.append((src, why))
        elif src.is_file():
            found.append(sniff(src) if fmt == "auto" else Found(src, fmt, f"--format {fmt}"))
        elif fmt == "agentic-misalignment":
            found.append(Found(src, fmt, "--format agentic-misalignment"))
        elif fmt == "parquet" and is_dataset(src):
            found.append(Found(src, fmt, "dataset folder (samples/*.parquet)"))
        elif fmt != "auto":
            for file in _files(src, skip, skipped):
                if fmt == "scout" and scout.is_scan_folder(file.parent) and not scout.is_awareness_scanner(file):
                    ignored.append(file)  # another scanner of the scan: not an awareness label
                elif inner_suffix(file) in SUFFIXES[fmt]:
                    found.append(Found(file, fmt, f"--format {fmt}"))
        else:
            _walk(src, skip, found, ignored, skipped)
    seen: set[Path] = set()
    unique = []
    for item in found:
        key = _resolved(item.path)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    named = {path.absolute(): why for path, why in skipped}  # each entry once, however often it was reached
    return Discovery(unique, ignored, list(named.items()))


def _listing(
    root: Path, skip: Path | None, skipped: list[tuple[Path, str]]
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """(folder, its subfolders' names — prune in place —, its regular files' names) under `root`, top-down; a
    folder that cannot be listed and an entry that is no file (a loop, a broken link, a FIFO, a device) is added
    to `skipped` with why."""

    def unlisted(exc: OSError) -> None:
        skipped.append((Path(exc.filename or root), f"folder cannot be listed: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and _resolved(here / d) != skip)
        files = []
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            why = not_a_file(here / name)
            if why is None:
                files.append(name)
            else:
                skipped.append((here / name, why))
        yield here, dirnames, files


def _files(root: Path, skip: Path | None, skipped: list[tuple[Path, str]]) -> list[Path]:
    return [here / name for here, _, names in _listing(root, skip, skipped) for name in names]


def _walk(
    root: Path, skip: Path | None, found: list[Found], ignored: list[Path], skipped: list[tuple[Path, str]]
) -> None:
    """Walk `root` top-down: whole-folder formats where the layout matches, every other file judged alone."""
    inside_am: list[Path] = []
    for here, dirnames, filenames in _listing(root, skip, skipped):
        in_am = any(here == a or a in here.parents for a in inside_am)
        if not in_am and is_experiment(here):
            found.append(Found(here, "agentic-misalignment", "agentic-misalignment experiment folder"))
            inside_am.append(here)
            in_am = True
        if is_dataset(here):
            found.append(Found(here, "parquet", "dataset folder (samples/*.parquet)"))
            dirnames[:] = [d for d in dirnames if d not in DATASET_PARTS]
            filenames = [f for f in filenames if f != "ingest_log.jsonl"]
        scan = scout.is_scan_folder(here)
        for name in filenames:
            file = here / name
            if scan and (not name.endswith(".parquet") or not scout.is_awareness_scanner(file)):
                ignored.append(file)  # the scan's spec, summary, errors and its other scanners' results
                continue
            if name == INSPECT_LISTING and any(f.endswith(".eval") or f.endswith(".json") for f in filenames):
                ignored.append(file)
                continue
            if in_am and agentic_misalignment.reads(file):
                continue  # read by the experiment's importer: neither a source of its own nor passed over
            kind = sniff(file)
            if in_am:  # the experiment's own files are read by its importer; only other eval data is taken
                if kind.format in ("inspect", "parquet") or (kind.format == "jsonl" and inner_suffix(file) != ".json"):
                    found.append(kind)
                else:
                    ignored.append(file)
            elif kind.format is not None or inner_suffix(file) in DATA_SUFFIXES:
                found.append(kind)
            else:
                ignored.append(file)
