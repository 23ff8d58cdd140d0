"""One sample's transcript, read from the one row group that can hold it (docs/ARCHITECTURE.md, "Transcripts"):
transcript files are sorted by sample_id, so each row group's id range (from the footer) points at one group."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from evalboard.core.schema import TRANSCRIPTS

_LOG = logging.getLogger(__name__)
Ranges = tuple[tuple[str, str], ...] | None  # a file's row groups' sample_id ranges (None: no statistics)


class TranscriptFiles:
    """The transcripts files of one dataset folder: the good ones by id range, the left-out ones to name."""

    def __init__(self) -> None:
        self.id_ranges: dict[Path, Ranges] = {}  # good transcripts files
        self.left_out_ranges: dict[Path, Ranges] = {}
        self._open_files: dict[Path, pq.ParquetFile] = {}
        self.delta: ds.Dataset | None = None  # a Delta transcripts table's dataset: filtered by sample_id

    def use_delta(self, dataset: ds.Dataset | None) -> None:
        self.delta = dataset

    def use(self, good: dict[Path, Ranges], left_out: dict[Path, Ranges]) -> None:
        """The files of a new scan: the good ones and those left out."""
        self.id_ranges, self.left_out_ranges = good, left_out
        self._open_files.clear()

    def rows(self, sample_id: str) -> pa.Table:
        """The transcripts row of one sample (or no row), read from the one row group that can hold it.

        Transcript files are sorted by sample_id, so each row group's id range (from the footer, read once
        per file change) points at a single group. Asking DuckDB instead re-parses a large footer on every
        call (~90 ms for 500 row groups), over the 50 ms budget. Strings are returned unvalidated; the
        caller decodes them leniently, since model output may not be valid UTF-8.
        """
        if self.delta is not None:  # row groups whose sample_id statistics exclude it are skipped by the filter
            rows = self.delta.to_table(columns=["sample_id", "messages"], filter=pc.field("sample_id") == sample_id)
            if rows.num_rows:
                return rows.slice(0, 1)
        for path, ranges in self.id_ranges.items():
            try:
                hit = self._find_in(path, ranges, sample_id)
            except OSError as exc:  # vanished or changed since it was checked; the next refresh names it
                _LOG.warning("cannot read %s: %s", path, exc)
                self._open_files.pop(path, None)
                continue
            if hit is not None:
                return hit
        return TRANSCRIPTS.empty_table()

    def left_out(self, sample_id: str) -> list[tuple[Path, bool]]:
        """The transcripts files left out that hold this sample's transcript (True: by their footer's id ranges) or
        may hold it (False: nothing says which ids they hold), for the viewer to say why a transcript is missing."""
        return [
            (path, ranges is not None)
            for path, ranges in self.left_out_ranges.items()
            if ranges is None or any(low <= sample_id <= high for low, high in ranges)
        ]

    def _find_in(self, path: Path, ranges: Ranges, sample_id: str) -> pa.Table | None:
        groups = range(self._parquet(path).num_row_groups) if ranges is None else [
            i for i, (low, high) in enumerate(ranges) if low <= sample_id <= high
        ]  # fmt: skip
        for group in groups:
            rows = self._parquet(path).read_row_group(group, columns=["sample_id", "messages"])
            hit = rows.filter(pc.equal(rows.column("sample_id"), sample_id))
            if hit.num_rows:
                return hit.slice(0, 1)
        return None

    def _parquet(self, path: Path) -> pq.ParquetFile:
        if path not in self._open_files:
            self._open_files[path] = pq.ParquetFile(path)
        return self._open_files[path]
