"""`evalboard migrate OLD NEW`: turn a plain-Parquet dataset folder into Delta tables at NEW (a folder or
s3://bucket/prefix), with identical row counts per table (evalboard/ingest/migrate.py).

Exit codes: 0 migrated, 2 bad arguments (OLD not a dataset, NEW already holding a table), 6 storage failed
(`EXIT_STORAGE`: one line, no credential).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from evalboard.core import location as locations
from evalboard.core.exit_codes import EXIT_STORAGE
from evalboard.core.location import LocationError, StorageError
from evalboard.ingest.migrate import MigrateError, migrate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalboard migrate", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "old", type=Path, metavar="OLD", help="a dataset folder in the plain-Parquet layout (e.g. data/demo)"
    )
    p.add_argument("new", metavar="NEW", help="where the Delta tables go: a new folder or s3://bucket/prefix")
    return p


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `evalboard migrate` with `argv`; returns the exit code."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        new = locations.parse(args.new)
        done = migrate(args.old, new)
    except (LocationError, MigrateError) as exc:
        err.write(f"evalboard migrate: error: {exc}\n")
        return 2
    except StorageError as exc:
        err.write(f"evalboard migrate: error: {exc}\n")
        return EXIT_STORAGE
    for table, rows in done.rows.items():
        out.write(f"{table}: {rows:,} rows → {new.table_uri(table)} (Delta)\n")
    for table, columns in done.dropped.items():
        out.write(f"{table}: columns not in the canonical schema were left out: {', '.join(sorted(columns))}\n")
    if done.side_files:
        out.write(f"copied: {', '.join(done.side_files)}\n")
    for name in done.not_copied:
        out.write(f"not copied: {name} (copy it to {new}/{name} with your storage's tools)\n")
    return 0
