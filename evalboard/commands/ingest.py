"""`evalboard ingest SOURCE... --out DIR|s3://bucket/prefix`: import eval logs into a canonical dataset.

Exit codes: 0 when something was imported (or everything was already present), 1 when nothing could
be, 2 for bad arguments (an S3 bucket or prefix holding nothing among them), 6 when the storage failed (an S3 source
or the dataset's: `EXIT_STORAGE`, one line, no credential). A second ingest into the same local --out waits for the
first (a message on stderr); ingests into one s3:// dataset run at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from evalboard.core import location as locations
from evalboard.core.exit_codes import EXIT_STORAGE
from evalboard.core.location import Location, LocationError, StorageError
from evalboard.data.delta_write import Unreadable
from evalboard.ingest import remote
from evalboard.ingest.advice import plain
from evalboard.ingest.detect import Found, discover
from evalboard.ingest.formats import FORMATS, LABEL_FORMATS
from evalboard.ingest.formats.petri import AWARENESS_THRESHOLD, check_threshold
from evalboard.ingest.labels import Labeler, LabelError, load_manifest, parse_pairs
from evalboard.ingest.pipeline import ingest_source, new_ingest_id, unmapped
from evalboard.ingest.records import Options
from evalboard.ingest.writer import DatasetWriter, SourceStats, StorageWriteError, WriteError

# What a record without a `--map` column's field gets (the summary says it next to the count).
ABSENT = {
    "sample_id": "a content-hash id",
    "harmful": "a missing verdict unless --ungraded-ok",
    "snapshot": "the record's own model, else quarantined",
}


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used for --help)."""
    p = _Parser(prog="evalboard ingest", description="Import eval logs into a canonical evalboard dataset folder.")
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        type=remote.source_argument,
        help="log files or folders, or s3://bucket/prefix (a name starting with '-' that exists is taken as a "
        "source; or put the sources after --)",
    )
    p.add_argument(
        "--out",
        required=True,
        help="dataset folder (e.g. data/my-evals) or s3://bucket/prefix; a new dataset's tables are Delta tables",
    )
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
        help="take a column from a path in the source record, e.g. intervention=metadata.intervention; "
        "also harmful, explanation, grader, … and the transcript fields messages, system, prompt, response, reasoning",
    )
    p.add_argument("--scorer", help="scorer whose value is the verdict (NAME or NAME.KEY for dict scores)")
    p.add_argument("--harmful-value", help="the scorer value that means harmful (default: C/1/true/yes)")
    p.add_argument("--threshold", type=float, help="numeric scores >= T count as harmful (Petri 1-10 judge)")
    p.add_argument(
        "--awareness-threshold",
        type=float,
        help="Petri's eval_awareness score (1-10) >= T labels a transcript 'believed evaluation', below it 'none'",
    )
    p.add_argument(
        "--ungraded-ok",
        action="store_true",
        help="import records without a verdict as ungraded (harmful NULL) instead of quarantining them",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    return p


class Progress:
    """Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise.

    Shows records, files, the record rate and, from the bytes read of all sources, an ETA.
    """

    BAR = 24

    def __init__(
        self,
        stream: TextIO,
        total_files: int,
        enabled: bool,
        total_bytes: int = 0,
        name: Callable[[Path], str] = str,
    ):
        self.stream, self.total, self.enabled, self.name = stream, total_files, enabled, name
        self.tty = enabled and stream.isatty()
        self.total_bytes = total_bytes
        self.started = self.last = time.monotonic()
        self.index, self.done, self.done_bytes, self.file_bytes, self.file_size = 0, 0, 0, 0, 0
        self.records = 0

    def file(self, index: int, found: Found | None = None, size: int = 0) -> None:
        """A new file begins: say what it was taken for."""
        self.index, self.file_bytes, self.file_size = index, 0, size
        if found is not None and self.enabled:
            kind = found.format or "not imported"
            self._line(f"file {index}/{self.total}: {self.name(found.path)} — {found.why} [{kind}]")

    def bytes_read(self, position: int) -> None:
        """The reader's position in the current file."""
        self.file_bytes = min(position, self.file_size) if self.file_size else position

    def __call__(self, stats: SourceStats) -> None:
        self.records = self.done + stats.records
        now = time.monotonic()
        if not self.enabled or now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.records / elapsed
        fraction = (self.done_bytes + self.file_bytes) / self.total_bytes if self.total_bytes else 0.0
        fraction = min(fraction, 1.0)
        eta = f"ETA {_clock(elapsed * (1 - fraction) / fraction)}" if fraction > 0.001 else "ETA --:--"
        text = f"{self.records:,} records  file {self.index}/{self.total}  {rate:,.0f}/s  {eta}"
        if self.tty:
            filled = int(self.BAR * fraction)
            bar = "#" * filled + "." * (self.BAR - filled)
            self.stream.write(f"\r[{bar}] {fraction:4.0%}  {text}".ljust(100))
        else:
            self.stream.write(f"ingest: {fraction:.0%} of the bytes  {text}\n")
        self.stream.flush()

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish_file(self, stats: SourceStats) -> None:
        self.done += stats.records
        self.records = self.done
        self.done_bytes += self.file_size
        self.file_bytes = 0

    def close(self) -> None:
        if self.tty and self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else (f"{seconds // 60}:{seconds % 60:02d}")
    )


def _size(path: Path) -> int:
    """Bytes of a file, or of the files under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(
    argv: list[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    after_import: Callable[[Path], None] | None = None,
) -> int:
    """Run `evalboard ingest` with `argv` (the arguments after "ingest"); returns the exit code. `after_import(DIR)`
    runs once something was imported (the `evalboard` command passes the pages' preparation: commands/cli.py)."""
    out_stream, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        # A source whose name starts with "-" (`-dash.jsonl`) reads like an option to argparse; one that exists is
        # a source. Anything else unknown is an error.
        args.sources += [Path(a) for a in unknown if os.path.lexists(a)]
        strays = [a for a in unknown if not os.path.lexists(a)]
        if strays:
            raise _ArgumentError(f"unrecognized arguments: {' '.join(strays)}")
        if not args.sources:
            raise _ArgumentError("the following arguments are required: SOURCE")
        labeler = Labeler(
            sets=parse_pairs(args.sets, "--set"),
            maps=parse_pairs(args.maps, "--map"),
            manifest=load_manifest(args.runs) if args.runs else {},
            harmful_value=args.harmful_value,
            threshold=args.threshold,
        )
        # A link loop is named, not "missing"; an s3:// source is looked for by `remote.fetch`.
        missing = [str(s) for s in args.sources if not remote.is_uri(s) and not os.path.lexists(s)]
        if missing:
            raise _ArgumentError(f"no such file or folder: {', '.join(missing)}")
        try:
            location = locations.parse(args.out)
        except LocationError as exc:
            raise _ArgumentError(f"--out {exc}") from None
        if location.path is not None and location.path.exists() and not location.path.is_dir():
            raise _ArgumentError(f"--out {args.out} is not a folder")
        if args.format == "petri" and args.threshold is None:
            raise _ArgumentError("--format petri needs --threshold (the judge scores 1-10)")
        if args.awareness_threshold is not None:
            try:
                check_threshold(args.awareness_threshold)
            except ValueError as exc:
                raise _ArgumentError(str(exc)) from None
    except (_ArgumentError, LabelError) as exc:
        err.write(f"{parser.format_usage()}evalboard ingest: error: {exc}\n")
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        fetched = remote.fetch(args.sources)  # an s3:// source: its objects fetched whole to a private temp folder
    except StorageError as exc:
        err.write(f"evalboard ingest: error: {exc}\n")
        return exc.code
    if fetched.objects and not args.quiet:
        plural = "s" if fetched.objects != 1 else ""
        err.write(f"fetched {fetched.objects:,} object{plural} ({fetched.bytes:,} bytes) from S3\n")
    try:
        return _run(args, parser, labeler, fetched, location, out_stream, err, after_import)
    finally:
        fetched.close()


def _run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    labeler: Labeler,
    fetched: remote.Fetched,
    location: Location,
    out_stream: TextIO,
    err: TextIO,
    after_import: Callable[[Path], None] | None,
) -> int:
    """The ingest of the parsed arguments, reading S3 sources from their fetched copies."""
    found = discover(fetched.paths, args.format, exclude=location.path)
    found.sources, in_progress = fetched.settled(found.sources)  # Inspect logs on S3 still being written
    # Label sources (Scout results) last: their rows are matched to samples, which may come in this same command.
    found.sources.sort(key=lambda f: f.format in LABEL_FORMATS)
    options = Options(
        scorer=args.scorer,
        harmful_value=args.harmful_value,
        threshold=args.threshold,
        ungraded_ok=args.ungraded_ok,
        extra={AWARENESS_THRESHOLD: args.awareness_threshold},
    )
    if labeler.maps:
        readable = [(f.path, f.format) for f in found.sources if f.format is not None]
        missing, looked, fields = unmapped(readable, options, labeler)
        if missing:
            message = _unmapped(missing, labeler, looked, fields)
            err.write(f"{parser.format_usage()}evalboard ingest: error: {message}\n")
            return 2
    sizes = [_size(f.path) for f in found.sources]
    progress = Progress(err, len(found.sources), enabled=not args.quiet, total_bytes=sum(sizes), name=fetched.uri)
    options.progress = progress.bytes_read
    try:
        writer = fetched.writer(DatasetWriter(location, new_ingest_id(), notify=err))
    except StorageWriteError as exc:
        err.write(f"evalboard ingest: error: {exc}\n")
        return EXIT_STORAGE
    except OSError as exc:
        err.write(f"evalboard ingest: error: cannot write to {args.out}: {exc}\n")
        return 1
    for note in writer.recovered:
        err.write(f"evalboard ingest: {note}\n")
    for problem in writer.problems:
        err.write(f"warning: existing file left out of de-duplication: {problem}\n")
    results: list[SourceStats] = []
    try:
        for index, (item, size) in enumerate(zip(found.sources, sizes, strict=True), 1):
            progress.file(index, item, size)
            if item.format is None:
                writer.begin(item.path, "unrecognised")
                writer.reject_file(item.why, None)
                stats = writer.end()
            else:
                stats = ingest_source(writer, item.path, item.format, options, labeler, progress)
            stats.detected = item.why
            results.append(stats)
            progress.finish_file(stats)
    except WriteError as exc:
        err.write(f"evalboard ingest: error: {exc}\n")
        partial = writer.abandon(exc)
        stopped(err, results, None if any(s is partial for s in results) else partial, location)
        _close(writer, err)
        return EXIT_STORAGE if isinstance(exc, StorageWriteError) else 1
    except BaseException:
        with contextlib.suppress(Exception):
            writer.close()
        raise
    finally:
        progress.close()
    if not _close(writer, err):
        return EXIT_STORAGE
    absent = [
        f"--map {column}={labeler.maps[column]}: the field is absent from {n:,} of {labeler.records:,} records "
        f"({ABSENT.get(column, 'left empty')})"
        for column, n in labeler.absent.items()
        if n
    ]
    summary(
        out_stream,
        results,
        found.ignored,
        writer.quarantine_path,
        args.out,
        [(fetched.uri(path), why) for path, why in found.skipped],
        [*in_progress, *absent],
        writer.quarantine_lines,
    )
    unreadable_summary(out_stream, location, writer.unreadable)
    imported = sum(s.imported + s.already_present for s in results)
    # Something new was written: the pages' summaries are prepared beside a local dataset (on S3 each replica
    # derives its own on its first page view).
    if any(s.imported for s in results) and after_import is not None and location.path is not None:
        try:
            after_import(location.path)
        except Exception as exc:  # the import stands; the app derives the same on its first page view
            err.write(f"warning: imported, but preparing the pages' summaries failed ({type(exc).__name__}: {exc})\n")
    return 0 if imported else 1


def _close(writer: DatasetWriter, err: TextIO) -> bool:
    """Close the writer (on S3 that uploads the quarantine file); False, with one line on `err`, when storage fails."""
    try:
        writer.close()
    except StorageWriteError as exc:
        err.write(f"evalboard ingest: error: {exc}\n")
        return False
    return True


def _unmapped(missing: list[str], labeler: Labeler, looked: int, fields: list[str]) -> str:
    """The message for `--map` paths that no record has."""
    maps = ", ".join(f"--map {c}={labeler.maps[c]}" for c in missing)
    shown = ", ".join(fields[:12]) + (", …" if len(fields) > 12 else "")
    return (
        f"{maps}: no record has {'this field' if len(missing) == 1 else 'these fields'} "
        f"(looked at {looked:,} record{'s' if looked != 1 else ''}); the records have: {shown or 'no fields'}"
    )


def stopped(stream: TextIO, results: list[SourceStats], partial: SourceStats | None, out: Path | Location) -> None:
    """What an ingest stopped by a write failure left in the dataset, and how to finish it."""
    done = sum(s.imported for s in results)
    if results:
        stream.write(f"  {len(results)} file(s) before it were imported in full ({done:,} records).\n")
    if partial is not None:
        stream.write(
            f"  {partial.source}: {partial.imported:,} of its records were written before it stopped; "
            "the rest of this file and any files after it were not imported.\n"
        )
    stream.write(
        f"  Fix the cause and run the same command again: records already in {out} are skipped, not doubled.\n"
    )


def summary(
    stream: TextIO,
    results: list[SourceStats],
    ignored: list[Path],
    quarantine: Path | str,
    out: Path | Location,
    skipped: Sequence[tuple[Path | str, str]] = (),
    notes: Sequence[str] = (),
    lines: Counter[str] | None = None,
    limit: int = 20,
) -> None:
    """Totals, then one line per file that cost records: its path, how many, a plain reason and what to do; the
    entries skipped as no file (a link loop, a FIFO, a device), each with why; `notes` after the totals."""
    records = sum(s.records for s in results)
    imported = sum(s.imported for s in results)
    ungraded = sum(s.ungraded for s in results)
    present = sum(s.already_present for s in results)
    rejected = sum(s.rejected for s in results)
    new = sum(1 for s in results if s.imported)
    old = sum(1 for s in results if not s.imported and s.already_present)
    kinds = Counter(s.format for s in results)
    stream.write(
        f"files read: {len(results)} ({new} with new records, {old} already in the dataset, "
        f"{len(results) - new - old} with nothing imported)"
        + (f": {', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}" if kinds else "")
        + "\n"
    )
    if ignored:
        by_suffix = Counter(p.suffix.lower() or "(no extension)" for p in ignored)
        what = ", ".join(f"{k} ×{n}" for k, n in by_suffix.most_common(5))
        stream.write(f"files passed over (not eval data): {len(ignored)} ({what})\n")
    if skipped:
        stream.write(f"skipped, not files that can be read: {len(skipped)}\n")
        for path, why in skipped[:limit]:
            stream.write(f"  {path} — {why}\n")
        if len(skipped) > limit:
            stream.write(f"  … and {len(skipped) - limit} more\n")
    stream.write(
        f"records: {records:,} = imported {imported:,} (ungraded {ungraded:,})"
        f" + already present {present:,} + quarantined {rejected:,}\n"
    )
    for note in notes:
        stream.write(f"  {note}\n")
    unknown = [s for s in results if s.unknown_count]
    if unknown:
        stream.write(f"  plus {len(unknown)} file(s) quarantined whose record count is unknown\n")
    if any(s.at_least for s in results):
        stream.write("  (a truncated file counts the samples whose entries survive: it held at least that many)\n")
    stream.write(f"dataset: {out}\n")
    bad = [s for s in results if s.reasons]
    if not bad:
        return
    stream.write(f"quarantine: {quarantine}{_lines(lines)}\n")
    stream.write(f"files with problems ({len(bad)}):\n")
    for s in bad[:limit]:
        cost = f"{'at least ' if s.at_least else ''}{s.rejected:,} record{'s' if s.rejected != 1 else ''}"
        if s.unknown_count:
            cost = "unknown count" if not s.rejected else f"{cost} + an unknown count"
        reasons = _reasons(s)
        if len(reasons) == 1:
            stream.write(f"  {s.source} — {cost}: {reasons[0][1]}\n")
            continue
        stream.write(f"  {s.source} — {cost}, for {len(reasons)} reasons:\n")
        for count, text in reasons:
            stream.write(f"    {count} × {text}\n")
    if len(bad) > limit:
        stream.write(f"  … and {len(bad) - limit} more, see {str(quarantine).rsplit('/', 1)[0]}/\n")


def unreadable_summary(stream: TextIO, location: Location, files: Sequence[Unreadable], limit: int = 20) -> None:
    """The data files of the dataset's Delta tables the duplicate checks could not read, per table: how many, each
    named with its rows (by the table's log) and why, what that costs and how to get a clean table back."""
    if not files:
        return
    for table in dict.fromkeys(f.table for f in files):
        mine = [f for f in files if f.table == table]
        n = len(mine)
        keys = "sample ids" if table in ("samples", "transcripts") else "(sample id, source) keys"
        stream.write(
            f"warning: {n} data file{'s' if n != 1 else ''} of the {table} table could not be read, so the {keys} "
            f"{'they hold' if n != 1 else 'it holds'} were not checked: those records may have been imported again "
            "(the app counts each sample id once)\n"
        )
        for bad in mine[:limit]:
            stream.write(f"  {location.table_uri(table)}/{bad.name} — {bad.rows_text()}: {bad.problem}\n")
        if n > limit:
            stream.write(f"  … and {n - limit} more\n")
    stream.write(
        "  Data health names them too. For a clean table: move each such file out of its table (on S3: delete or move "
        f"the object), then run `evalboard repair {location}`; re-import its sources to bring back rows only it held.\n"
    )


def _reasons(stats: SourceStats) -> list[tuple[str, str]]:
    """(how many records, plain reason) for every reason a file's records were quarantined for, commonest first;
    reasons that read the same in plain words are one. A whole file of unknown size counts as "unknown"."""
    counts: dict[str, int] = {}
    for reason, n in stats.reasons.most_common():
        text = plain(reason)
        counts[text] = counts.get(text, 0) + n
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    return [(f"{n:,}" if n else "unknown", text) for text, n in ordered]


def _lines(lines: Counter[str] | None) -> str:
    """How the quarantine file's lines make up the summary's count: one a record, or one for a whole file."""
    if not lines or not lines["file"]:
        return ""
    total = lines["record"] + lines["file"]
    return (
        f" ({total:,} line{'s' if total != 1 else ''}: {lines['record']:,} for one record each, "
        f"{lines['file']:,} for a whole file each)"
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
