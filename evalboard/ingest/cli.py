"""`evalboard ingest SOURCE... --out DIR`: import eval logs into a canonical dataset folder.

Exit codes: 0 when something was imported (or everything was already present), 1 when nothing could
be, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from evalboard.ingest.detect import FORMATS, discover
from evalboard.ingest.labels import Labeler, LabelError, load_manifest, parse_pairs
from evalboard.ingest.pipeline import ingest_source, new_ingest_id
from evalboard.ingest.records import Options
from evalboard.ingest.writer import DatasetWriter, SourceStats, WriteError


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used for --help)."""
    p = _Parser(prog="evalboard ingest", description="Import eval logs into a canonical evalboard dataset folder.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", type=Path, help="log files or folders")
    p.add_argument("--out", required=True, type=Path, help="dataset folder, e.g. data/my-evals")
    p.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="label every imported sample (snapshot, intervention, training_stage, stage_step, …)",
    )
    p.add_argument("--runs", type=Path, help="runs manifest (TOML or CSV): run_id/model → labels")
    p.add_argument(
        "--map",
        dest="maps",
        action="append",
        default=[],
        metavar="COL=PATH",
        help="take a column from a path in the source record, e.g. intervention=metadata.intervention",
    )
    p.add_argument("--scorer", help="scorer whose value is the verdict (NAME or NAME.KEY for dict scores)")
    p.add_argument("--harmful-value", help="the scorer value that means harmful (default: C/1/true/yes)")
    p.add_argument("--threshold", type=float, help="numeric scores >= T count as harmful (Petri 1-10 judge)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


class Progress:
    """A throttled one-line progress indicator on stderr."""

    def __init__(self, stream: TextIO, total_files: int, enabled: bool):
        self.stream, self.total, self.enabled = stream, total_files, enabled
        self.tty = enabled and stream.isatty()
        self.started = self.last = time.monotonic()
        self.index, self.done = 0, 0

    def file(self, index: int) -> None:
        self.index = index

    def __call__(self, stats: SourceStats) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        total = self.done + stats.records
        line = (
            f"ingest: file {self.index}/{self.total}  {total:,} records  "
            f"{total / max(now - self.started, 1e-9):,.0f}/s  {Path(stats.source).name[:40]}"
        )
        self.stream.write(("\r" + line.ljust(100)) if self.tty else line + "\n")
        self.stream.flush()

    def finish_file(self, stats: SourceStats) -> None:
        self.done += stats.records

    def close(self) -> None:
        if self.tty and self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `evalboard ingest` with `argv` (the arguments after "ingest"); returns the exit code."""
    out_stream, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        labeler = Labeler(
            sets=parse_pairs(args.sets, "--set"),
            maps=parse_pairs(args.maps, "--map"),
            manifest=load_manifest(args.runs) if args.runs else {},
        )
        missing = [str(s) for s in args.sources if not s.exists()]
        if missing:
            raise _ArgumentError(f"no such file or folder: {', '.join(missing)}")
        if args.out.exists() and not args.out.is_dir():
            raise _ArgumentError(f"--out {args.out} is not a folder")
        if args.format == "petri" and args.threshold is None:
            raise _ArgumentError("--format petri needs --threshold (the judge scores 1-10)")
    except (_ArgumentError, LabelError) as exc:
        err.write(f"{parser.format_usage()}evalboard ingest: error: {exc}\n")
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    options = Options(scorer=args.scorer, harmful_value=args.harmful_value, threshold=args.threshold)
    sources, skipped = discover(args.sources, args.format)
    if skipped:
        names = ", ".join(str(p) for p in skipped[:3]) + (" …" if len(skipped) > 3 else "")
        err.write(
            f"skipped {len(skipped)} .json file(s) that are neither Inspect logs nor Petri transcripts: {names}\n"
        )
    writer = DatasetWriter(args.out, new_ingest_id())
    for problem in writer.problems:
        err.write(f"warning: existing file skipped for de-duplication: {problem}\n")
    progress = Progress(err, len(sources), enabled=not args.quiet)
    results: list[SourceStats] = []
    try:
        for index, (path, fmt) in enumerate(sources, 1):
            progress.file(index)
            if fmt is None:
                writer.begin(path, "unknown")
                writer.stats.records += 1  # type: ignore[union-attr]
                writer.reject("file", "unrecognised format (pass --format)")
                results.append(writer.end())
            else:
                results.append(ingest_source(writer, path, fmt, options, labeler, progress))
            progress.finish_file(results[-1])
    except WriteError as exc:
        err.write(f"evalboard ingest: error: {exc}\n")
        return 1
    finally:
        writer.close()
        progress.close()
    _summary(out_stream, results, writer, args.out)
    imported = sum(s.imported + s.already_present for s in results)
    return 0 if imported else 1


def _summary(stream: TextIO, results: list[SourceStats], writer: DatasetWriter, out: Path) -> None:
    records = sum(s.records for s in results)
    imported = sum(s.imported for s in results)
    ungraded = sum(s.ungraded for s in results)
    present = sum(s.already_present for s in results)
    rejected = sum(s.rejected for s in results)
    failed = sum(1 for s in results if s.imported == 0 and s.already_present == 0)
    stream.write(f"files read: {len(results)} ({failed} with nothing imported)\n")
    stream.write(
        f"records: {records:,} = imported {imported:,} (ungraded {ungraded:,})"
        f" + already present {present:,} + rejected {rejected:,}\n"
    )
    stream.write(f"dataset: {out}\n")
    if rejected:
        stream.write(f"quarantine: {writer.quarantine_path}\n")
        for reason, n in writer.reasons.most_common(5):
            stream.write(f"  {n:,} × {reason}\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
