"""Publishing one part of an ingest so that a kill at any moment leaves the dataset whole (docs/ARCHITECTURE.md,
"Ingest", crash consistency).

A part is one file per table (further tables, transcripts, samples) under one name. Each is first written to a
hidden temporary name (`stage`); then a journal listing the renames is written (`.commit.json`, itself by rename),
then the files are renamed into place in order — samples last, so a reader never sees a sample without its
transcript — and the journal is removed (`publish`). The next writer (`recover`, under the dataset's lock) finishes
a journal left by a killed one, so a part is published whole or not at all, and removes temporary files no journal
names. Without the journal a kill between the transcripts rename and the samples rename would leave transcripts
whose samples the next run writes again, with their transcripts a second time.

A Delta dataset (`append_in_order`) needs no journal: each table's part is one Delta commit, all or nothing, made in
the same order (further tables, transcripts, samples last: `DELTA_STEPS`). A kill between two commits leaves further
rows or transcripts whose samples are not committed: the next writer finds those keys in the tables and does not
write them again (evalboard/ingest/writer.py), and no reader counts a transcript without its sample.

`EVALBOARD_KILL_AT=<step>` (or `<step>:<n>`, the n-th time) makes the writer kill itself with SIGKILL at that named
step: how the tests show every step is safe (`STEPS`), with real processes instead of timing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.location import Location
from evalboard.data import delta_write

JOURNAL = ".commit.json"
KILL_ENV = "EVALBOARD_KILL_AT"
# The named steps of publishing one part, in order ("staged-…": its temporary file written; "renamed-…": in place).
STEPS = (
    "staged-verdicts",
    "staged-awareness",
    "staged-transcripts",
    "staged-samples",
    "journal-written",
    "renamed-verdicts",
    "renamed-awareness",
    "renamed-transcripts",
    "renamed-samples",
    "journal-removed",
)
# The named steps of publishing one part of a Delta dataset: before and after each table's commit.
DELTA_STEPS = tuple(
    f"{when}-{table}"
    for table in ("verdicts", "awareness", "transcripts", "samples")
    for when in ("writing", "committed")
)
STAGED_TABLES = ("samples", "transcripts", "verdicts", "awareness")  # the folders the writer stages files in
_reached: Counter[str] = Counter()


def kill_point(step: str) -> None:
    """Kill this process (SIGKILL: no cleanup runs) when `EVALBOARD_KILL_AT` names this step (and its count)."""
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] == (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Staged:
    """One table's file of a part, written under its temporary name."""

    table: str
    tmp: Path
    final: Path
    rows: int


def stage(table: str, data: pa.Table, final: Path, row_group_size: int | None) -> Staged:
    """Write `data` to a hidden temporary name beside `final` (removed again if the write fails)."""
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        final.parent.mkdir(exist_ok=True)
        pq.write_table(data, tmp, compression="zstd", row_group_size=row_group_size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    kill_point(f"staged-{table}")
    return Staged(table, tmp, final, data.num_rows)


def publish(out: Path, staged: list[Staged]) -> None:
    """Rename the staged files into place in their order, through the journal (see the module docstring)."""
    journal = out / JOURNAL
    moves = [[s.table, str(s.tmp.relative_to(out)), str(s.final.relative_to(out))] for s in staged]
    tmp = journal.with_name(f".{JOURNAL}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"moves": moves}), encoding="utf-8")
    os.replace(tmp, journal)
    kill_point("journal-written")
    for s in staged:
        os.replace(s.tmp, s.final)
        kill_point(f"renamed-{s.table}")
    journal.unlink()
    kill_point("journal-removed")


def discard(staged: list[Staged]) -> None:
    """Remove staged files that will not be published (a later step failed)."""
    for s in staged:
        with contextlib.suppress(OSError):
            s.tmp.unlink()


def recover(out: Path) -> list[str]:
    """Under the dataset's lock, before anything is read: finish the renames of a journal a killed writer left, then
    remove the temporary files no journal names. Returns one sentence per thing done (for the ingest's summary)."""
    notes = []
    journal = out / JOURNAL
    with contextlib.suppress(FileNotFoundError):
        try:
            moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
        except (ValueError, KeyError, TypeError):
            moves = []  # never written half (it is renamed into place), but never trust it blindly
            notes.append(f"removed an unreadable commit journal {journal}")
        finished = 0
        for _table, tmp, final in moves:
            if (out / tmp).is_file():
                os.replace(out / tmp, out / final)
                finished += 1
        if finished:
            notes.append(f"finished publishing {finished} file(s) of a part an interrupted ingest had written")
        journal.unlink()
    stale = [*out.glob(f".{JOURNAL}.*.tmp"), *out.glob(".index/.*.tmp")]  # .index/: the data-check results
    for table in STAGED_TABLES:
        if (out / table).is_dir():
            stale += [p for p in (out / table).glob(".*.tmp") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        notes.append(f"removed {len(stale)} temporary file(s) an interrupted ingest left")
    return notes


def append_in_order(location: Location, parts: list[tuple[str, pa.Table]], transcript_rows: int, note: str) -> None:
    """Append each table's rows of one part as its own Delta commit, in the order given (samples last)."""
    for table, data in parts:
        kill_point(f"writing-{table}")
        delta_write.append(location, table, data, transcript_rows if table == "transcripts" else None, note)
        kill_point(f"committed-{table}")
