"""What every import format is: a class that recognises its own files and folders and reads them.

Detection (`ingest/detect.py`) reads a file's first bytes once and asks the formats of the registry
(`formats/__init__.py`), in its order, tier by tier: magic bytes first (`by_magic`), then the name (`by_name`), then
the first record (`by_content`); the first claim wins. A claim names the format, or none with why the file is
refused (a zip that is no Inspect log). Folders are asked `whole_folder` (a layout read as one source).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from evalboard.ingest.records import Item, Options
from evalboard.ingest.writer import DatasetWriter, SourceStats

HEAD = 64 * 1024  # bytes of a file detection reads before judging it


@dataclass(frozen=True)
class Head:
    """What detection knows of one file before a format judges it: its name's suffix (inside a `.gz`), its first
    bytes (decompressed when it is gzip), those bytes without a byte order mark or leading white space, and
    whether the file is gzip-compressed (then magic bytes are gzip's own, so no format is asked about them)."""

    path: Path
    suffix: str
    head: bytes
    text: bytes
    gzip: bool


@dataclass(frozen=True)
class Claim:
    """A format's answer for one file: the format's name (None: refused, the file quarantined) and why."""

    format: str | None
    why: str


class Format:
    """One import format. Subclasses set `name` and override the hooks their files need."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()  # the files `--format NAME` takes from a folder
    reads_gzip: ClassVar[bool] = False  # reads a gzip-compressed file (else a gzip file it claims is refused)
    folder_only: ClassVar[bool] = False  # `--format NAME FOLDER` reads the folder whole, whatever it holds
    label_only: ClassVar[bool] = False  # labels for samples already in the dataset: `ingest`, not `read`
    encloses: ClassVar[bool] = False  # the files below a folder it takes whole are its own unless `admits` says not
    folder_parts: ClassVar[tuple[str, ...]] = ()  # subfolders of a folder it takes whole that are not walked
    folder_files: ClassVar[tuple[str, ...]] = ()  # files of a folder it takes whole that are not judged

    def by_magic(self, head: Head) -> Claim | None:
        """A claim from the file's first bytes (never asked for a gzip file)."""
        return None

    def by_name(self, head: Head) -> Claim | None:
        """A claim from the file's name alone."""
        return None

    def by_content(self, head: Head) -> Claim | None:
        """A claim from the file's first record."""
        return None

    def whole_folder(self, folder: Path) -> str | None:
        """Why `folder` is one source of this format (its layout matches), or None."""
        return None

    def owns(self, file: Path) -> bool:
        """When `encloses`: a file below this format's folder that its reader reads (neither source nor passed
        over)."""
        return False

    def admits(self, found: str | None, file: Path) -> bool:
        """When `encloses`: whether another file below this format's folder, detected as format `found`, is a
        source of its own (else it is passed over)."""
        return True

    def passed_over(self, folder: Path, files: list[str]) -> set[str]:
        """Names among a walked folder's `files` that this format knows are not eval data (its own index files)."""
        return set()

    def chosen(self, file: Path, suffix: str) -> bool | None:
        """With `--format NAME FOLDER`: True for a file of the folder to read, False for one passed over, None for
        one left aside."""
        return True if suffix in self.suffixes else None

    def read(self, path: Path, options: Options) -> Iterator[Item]:
        """The records of one source, each parsed or rejected with its reason."""
        raise NotImplementedError(self.name)

    def ingest(self, writer: DatasetWriter, stats: SourceStats, path: Path, options: Options) -> None:
        """When `label_only`: write the labels of one source into `writer` (counts in `stats`)."""
        raise NotImplementedError(self.name)
