"""`evalboard repair DATASET`: remove from each Delta table's log the data files the storage no longer holds (delta-rs's
FSCK, evalboard/data/delta_repair.py), saying what each held; name the files present but unreadable, to be moved out of
their table first.

Exit codes: 0 every data file the tables' logs name is present and reads (after this repair), 2 bad arguments (not a
dataset, or one without Delta tables), 5 a data file that cannot be read is still named (present but unreadable: move
it out of its table and run repair again; with --dry-run also: missing files that would be removed), 6 storage failed
(`EXIT_STORAGE`: one line, no credential).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from evalboard.core import location as locations
from evalboard.core.exit_codes import EXIT_DATA_INCOMPLETE
from evalboard.core.location import Location, LocationError, StorageError
from evalboard.data.delta_repair import TableRepair, repair


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalboard repair", description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", metavar="DATASET", help="a dataset of Delta tables: a folder or s3://bucket/prefix")
    p.add_argument("--dry-run", action="store_true", help="say what would be removed; commit nothing")
    p.add_argument(
        "--read-data",
        action="store_true",
        help="read every data file whole to find damaged pages (slow: reads the whole dataset); default: footers",
    )
    return p


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `evalboard repair` with `argv`; returns the exit code."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        location = locations.parse(args.dataset)
        if location.path is not None and not location.path.is_dir():
            raise LocationError(f"{location}: no such folder")
    except LocationError as exc:
        err.write(f"evalboard repair: error: {exc}\n")
        return 2
    try:
        done = repair(location, dry_run=args.dry_run, read_data=args.read_data)
    except StorageError as exc:
        err.write(f"evalboard repair: error: {exc}\n")
        return exc.code
    if not done:
        err.write(
            f"evalboard repair: error: {location} holds no Delta tables (a plain-Parquet dataset has no log to repair: "
            "move a damaged file out of its folder; Data health lists them)\n"
        )
        return 2
    for table in done:
        report(out, location, table, args.dry_run)
    removed = sum(len(t.removed) for t in done)
    rows = sum(t.removed_rows for t in done)
    unreadable = sum(len(t.unreadable) for t in done)
    if removed:
        verb = "would remove" if args.dry_run else "removed"
        out.write(
            f"{verb} {removed:,} missing data file{_s(removed)} ({rows:,} row{_s(rows)} by the logs). Re-import the "
            f"sources those rows came from (`evalboard ingest SOURCE --out {location}`) to bring them back: records "
            "already in the dataset are skipped.\n"
        )
    if unreadable:
        out.write(
            f"{unreadable:,} data file{_s(unreadable)} present but unreadable stay{'s' if unreadable == 1 else ''} in "
            f"the log: move {'it' if unreadable == 1 else 'each'} out of its table (on S3: delete or move the "
            f"object), then run `evalboard repair {location}` again.\n"
        )
    if not removed and not unreadable:
        checked = "each read whole" if args.read_data else "footers read; --read-data reads every page"
        out.write(f"nothing to repair: every data file the logs name is present and reads ({checked})\n")
    return EXIT_DATA_INCOMPLETE if unreadable or (args.dry_run and removed) else 0


def report(out: TextIO, location: Location, table: TableRepair, dry_run: bool) -> None:
    """One table: what was (or would be) removed from its log, and what is present but cannot be read."""
    if not table.removed and not table.unreadable:
        out.write(f"{table.table}: version {table.version}, {table.files:,} data file{_s(table.files)}, all present\n")
        return
    where = location.table_uri(table.table)
    if table.removed:
        n = len(table.removed)
        if dry_run:
            did = f"would remove {n} missing data file{_s(n)} from the log"
        else:
            did = f"removed {n} missing data file{_s(n)} from the log (version {table.version} → {table.new_version})"
        out.write(f"{table.table}: {did}:\n")
        for file in table.removed:
            out.write(f"  {where}/{file.name} — {file.rows_text('the log')}\n")
    if table.unreadable:
        n = len(table.unreadable)
        out.write(f"{table.table}: {n} data file{_s(n)} present but unreadable, still in the log:\n")
        for file in table.unreadable:
            out.write(f"  {where}/{file.name} — {file.rows_text('the log')}: {file.problem}\n")


def _s(n: int) -> str:
    return "" if n == 1 else "s"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
