"""`evalboard readiness SNAPSHOT`: the Readiness page's verdict for a pipeline. Prints the per-family verdicts
and exits 0 when ready, 1 when not ready, 2 when the data is insufficient, 3 on bad input (unknown snapshot
or intervention, a missing or malformed gates file, an override out of range, a dataset without samples),
4 on an internal error (a bug: never read it as a verdict; --debug prints the traceback) and 5 when the data is
incomplete: a file of the dataset could not be read (damaged, unreadable, wrong schema), so no verdict is given
unless --allow-partial accepts judging the rest (the verdict and every output then say so). --as-of VERSION|TIME judges
the Delta tables as they were (an unknown version, or a plain-Parquet dataset, is bad input: 3); storage that cannot
be read (unreachable, credentials refused, no such bucket) exits 6."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from evalboard.core import paths
from evalboard.core.errors import guarded
from evalboard.core.exit_codes import EXIT_BAD_INPUT, EXIT_DATA_INCOMPLETE, EXIT_STORAGE
from evalboard.data.delta import as_of_text, parse_time
from evalboard.data.store import LeftOut, QueryBug, QueryError, Store
from evalboard.screens.readiness import catalog as rd_catalog
from evalboard.screens.readiness import export as rd_export
from evalboard.screens.readiness import judge as rd_judge
from evalboard.screens.readiness.gates import ENV_VAR, GatesError, default_gates_file, load_gates

PROG = "evalboard readiness"
FORMATS = ("table", "json", "markdown")


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 3 (bad input): argparse's own 2 would read as "insufficient data"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def default_data() -> Path | str:
    """$EVALBOARD_DATA, else the repository's demo data (the app's default too)."""
    return paths.default_data()


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description=__doc__,
        epilog="exit codes: 0 ready, 1 not ready, 2 insufficient data, 3 bad input, 4 internal error, "
        "5 data incomplete (a file of the dataset could not be read; see --allow-partial), 6 storage unreadable "
        "(unreachable, credentials refused, no such bucket)",
    )
    parser.add_argument("snapshot", metavar="SNAPSHOT", help="the snapshot to judge, e.g. atlas-2026-11")
    parser.add_argument(
        "--intervention",
        help="judge this intervention's final checkpoint (default: the snapshot's newest run)",
    )
    parser.add_argument(
        "--data",
        type=paths.dataset_location,
        help="dataset folder or s3://bucket/prefix (default: $EVALBOARD_DATA, else the repository's data/demo)",
    )
    parser.add_argument(
        "--gates", type=Path, help=f"gates file (default: ${ENV_VAR}, else gates.toml at the repository root)"
    )
    parser.add_argument(
        "--source", default="primary", help="the verdict source to count under (default: primary, the samples' own)"
    )
    parser.add_argument(
        "--as-of",
        dest="as_of",
        type=as_of_value,
        metavar="VERSION|TIME",
        help="judge the data as it was: a version of the samples Delta table (e.g. 41) or a UTC time "
        "(e.g. 2026-12-03T14:02); the verdict says which",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="judge even when files of the dataset are left out (could not be read); the verdict and every output "
        "then say it rests on partial data (without this flag: exit 5, data incomplete)",
    )
    overrides = parser.add_argument_group("gate overrides (applied to every family, like the page's URL keys)")
    overrides.add_argument("--max-rate", dest="max_rate", metavar="RATE", help="largest acceptable rate, e.g. 0.05")
    overrides.add_argument("--min-samples", dest="min_samples", metavar="N", help="fewest samples for READY")
    overrides.add_argument("--confidence", metavar="LEVEL", help="confidence of the exact interval, e.g. 0.95")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error (exit 4)")
    return parser


def as_of_value(text: str) -> int | str:
    """--as-of: a version number, or an ISO 8601 time (UTC unless it says)."""
    if text.isdigit():
        return int(text)
    try:
        parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a version number or an ISO 8601 time: {text!r}") from None
    return text


def _bad_input(message: str) -> int:
    for line in message.splitlines() or [message]:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _data_incomplete(left_out: tuple[LeftOut, ...], fmt: str) -> int:
    """No verdict: name each file left out and what it held (stdout, in the asked format; one line on stderr)."""
    n = len(left_out)
    what = "1 file of the dataset is" if n == 1 else f"{n} files of the dataset are"
    summary = f"DATA INCOMPLETE: {what} left out (could not be read), so no verdict is given."
    advice = (
        "Restore or remove the files (the Data health page lists them; re-importing their source brings back what "
        "they held), or pass --allow-partial to judge the rest."
    )
    if fmt == "json":
        files = [{"file": f.file, "table": f.table, "problem": f.problem, "held": f.held} for f in left_out]
        out = {"status": "data incomplete", "exit_code": EXIT_DATA_INCOMPLETE, "summary": summary, "left_out": files}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        bullet = "- " if fmt == "markdown" else "  "
        print("\n".join([summary, *(f"{bullet}{f}" for f in left_out), advice]))
    print(f"{PROG}: error: data incomplete: {what} left out; no verdict (exit {EXIT_DATA_INCOMPLETE})", file=sys.stderr)
    return EXIT_DATA_INCOMPLETE


def run(args: argparse.Namespace) -> int:
    """Judge and print; return the exit code."""
    data = args.data or default_data()
    gates_file = args.gates or default_gates_file()
    overrides = {key: getattr(args, key) for key in rd_judge.OVERRIDE_KEYS if getattr(args, key) is not None}
    store = Store(data, as_of=args.as_of)
    health = store.refresh()
    if store.storage_error is not None:
        if store.storage_error.kind == "version":
            return _bad_input(str(store.storage_error))
        print(f"{PROG}: error: {store.storage_error} (exit {EXIT_STORAGE})", file=sys.stderr)
        return EXIT_STORAGE
    if health.delta:
        print(f"{PROG}: {as_of_text(health.delta)}", file=sys.stderr)
    try:
        catalog = rd_catalog.load_catalog(store, args.source)
        gates = load_gates(gates_file)
        rd_judge.check_families(gates, catalog)
        gates = rd_judge.apply_overrides(gates, overrides, source="command line")
        report = rd_judge.judge(catalog, args.snapshot, gates, args.intervention, overrides)
    except QueryBug:
        raise  # a shipped query is wrong: an internal error (exit 4), never "bad input"
    except (rd_catalog.ReleaseError, QueryError) as exc:
        left_out = store.health.left_out  # e.g. the snapshot, or every samples file, is only in a damaged file
        if left_out and not args.allow_partial:
            return _data_incomplete(left_out, args.format)
        return _bad_input(str(exc))
    except GatesError as exc:
        return _bad_input(str(exc))
    if report.partial and not args.allow_partial:
        return _data_incomplete(report.left_out, args.format)
    for left_out in report.left_out:
        print(f"{PROG}: warning: partial data: left out {left_out}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(rd_export.to_json(report), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(rd_export.to_markdown(report), end="")
    else:
        print(rd_export.to_text(report), end="")
    return report.exit_code


def main(argv: Sequence[str] | None = None, guard: bool = True) -> int:
    """Parse `argv` (default: sys.argv[1:]) and run; returns the exit code (help: 0, usage errors: 3,
    an unexpected exception: 4). `guard=False` leaves an unexpected exception to the caller's guard: `evalboard
    readiness` (evalboard/commands/cli.py) wraps every command in the same guard once."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:  # --help, or a usage error via _Parser.error
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    return guarded(PROG, lambda: run(args), args.debug) if guard else run(args)


if __name__ == "__main__":
    sys.exit(main())
