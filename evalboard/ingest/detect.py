"""Which files a SOURCE argument stands for, and which format reads each (`--format auto`).

Files decide their format, not folders. What is independent of any format lives here: the `stat` checks (a link
loop, a broken link, a FIFO, a device is named, never opened), reading a file's first bytes once, gzip's magic
bytes, the recursive walk. Each file is then judged by the formats of the registry (`formats/__init__.py`), in
its order, tier by tier: magic bytes, name, first record; the first claim wins (`formats/base.py`). A gzip file
is asked by its name and first decompressed record, and is refused unless the format that claims it reads gzip.
A folder is taken whole only when a format says its layout matches (an agentic-misalignment experiment, a
canonical dataset); the other files beside or below them are still judged one by one.
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
from evalboard.ingest.formats import REGISTRY, get
from evalboard.ingest.formats.base import HEAD, Claim, Format, Head

DATA_SUFFIXES = tuple(sorted({s for f in REGISTRY for s in f.suffixes}))  # files that claim to be eval data
TIERS = ("by_magic", "by_name", "by_content")
GZIP_TIERS = ("by_name", "by_content")  # a gzip file's magic bytes are gzip's own
BLANK = b"\xef\xbb\xbf \t\r\n"  # a byte order mark and white space before a file's first record
NOT_GZIP_READ = "gzip-compressed, but not JSONL: decompress it (gunzip) and import the result"


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
        inner = compressed.head(path, HEAD)
        claim = _claim(Head(path, suffix, inner, inner.lstrip(BLANK), gzip=True), GZIP_TIERS)
        if claim is not None and claim.format is not None and get(claim.format).reads_gzip:
            return Found(path, claim.format, claim.why)
        return Found(path, None, NOT_GZIP_READ)
    text = head.lstrip(BLANK)
    claim = _claim(Head(path, suffix, head, text, gzip=False), TIERS)
    if claim is not None:
        return Found(path, claim.format, claim.why)
    if text.startswith(b"{"):
        return Found(path, None, "JSON of an unrecognised shape: not an Inspect log, Petri transcript or JSONL")
    if text.startswith(b"[") and suffix in DATA_SUFFIXES:
        return Found(path, None, "a JSON array: records must be one JSON object per line (JSONL)")
    return Found(path, None, "not a format evalboard reads")


def _claim(head: Head, tiers: tuple[str, ...]) -> Claim | None:
    """The first claim of the registry's formats, tier by tier."""
    for tier in tiers:
        for fmt in REGISTRY:
            claim = getattr(fmt, tier)(head)
            if claim is not None:
                return claim
    return None


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
        elif fmt == "auto":
            _walk(src, skip, found, ignored, skipped)
        else:
            _chosen(get(fmt), src, skip, found, ignored, skipped)
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


def _chosen(
    fmt: Format, root: Path, skip: Path | None, found: list[Found], ignored: list[Path], skipped: list[tuple[Path, str]]
) -> None:
    """`--format NAME FOLDER`: the folder whole when the format reads it so, else the files the format takes."""
    why = None if fmt.folder_only else fmt.whole_folder(root)
    if fmt.folder_only or why is not None:
        found.append(Found(root, fmt.name, why or f"--format {fmt.name}"))
        return
    for file in _files(root, skip, skipped):
        pick = fmt.chosen(file, inner_suffix(file))
        if pick is False:
            ignored.append(file)
        elif pick:
            found.append(Found(file, fmt.name, f"--format {fmt.name}"))


def _walk(
    root: Path, skip: Path | None, found: list[Found], ignored: list[Path], skipped: list[tuple[Path, str]]
) -> None:
    """Walk `root` top-down: folders a format takes whole where the layout matches, every other file judged alone."""
    enclosures: list[tuple[Path, Format]] = []
    for here, dirnames, filenames in _listing(root, skip, skipped):
        enclosing = next((f for a, f in enclosures if here == a or a in here.parents), None)
        for fmt in REGISTRY:
            if fmt.encloses and enclosing is not None:
                continue  # inside a folder read whole, its own subfolders are not sources again
            why = fmt.whole_folder(here)
            if why is None:
                continue
            found.append(Found(here, fmt.name, why))
            if fmt.encloses:
                enclosures.append((here, fmt))
                enclosing = fmt
            dirnames[:] = [d for d in dirnames if d not in fmt.folder_parts]
            filenames = [f for f in filenames if f not in fmt.folder_files]
        passed = set().union(*(fmt.passed_over(here, filenames) for fmt in REGISTRY))
        for name in filenames:
            file = here / name
            if name in passed:
                ignored.append(file)  # a format's own index or spec file, or a scanner with no awareness labels
                continue
            if enclosing is not None and enclosing.owns(file):
                continue  # read by the enclosing folder's format: neither a source of its own nor passed over
            kind = sniff(file)
            if enclosing is not None:  # its own files are read by its format; only other eval data is taken
                if enclosing.admits(kind.format, file):
                    found.append(kind)
                else:
                    ignored.append(file)
            elif kind.format is not None or inner_suffix(file) in DATA_SUFFIXES:
                found.append(kind)
            else:
                ignored.append(file)
