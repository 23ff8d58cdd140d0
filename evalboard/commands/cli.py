"""The `evalboard` command.

`demo` writes the synthetic dataset; `ingest` imports eval logs (evalboard/commands/ingest.py); `migrate` turns a
plain-Parquet dataset into Delta tables (evalboard/commands/migrate.py); `repair` removes missing data files from a
dataset's Delta table logs (evalboard/commands/repair.py); `readiness` prints a snapshot's release
verdict (evalboard/commands/readiness.py); `serve` runs the app.

Exit codes: each command's own (readiness: 0 ready, 1 not ready, 2 insufficient data, 3 bad input, 5 data
incomplete; ingest: 0 imported, 1 nothing imported, 2 bad arguments, 6 storage failed; migrate: 0, 2, 6; repair: 0
clean, 2 bad arguments, 5 an unreadable data file still named, 6 storage failed), and 4 for
an internal error in any command, so a crash never reads as a verdict. `--debug` (anywhere on the line) prints the
traceback of an internal error.

Each command's modules are imported inside its function, so a command loads only what it runs (docs/ARCHITECTURE.md,
"Commands and exit codes"). None of them imports this module: tests/test_imports.py holds the package free of import
cycles, these imports included.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from evalboard.core import paths
from evalboard.core.errors import DEBUG_FLAG, guarded
from evalboard.core.exit_codes import EXIT_INTERNAL


def _ingest(argv: list[str], debug: bool) -> int:
    import pyarrow as pa

    from evalboard.commands.ingest import main

    # jemalloc gives the parsed batches' memory back sooner than the default pool: peak RSS ~50 MiB lower
    # on a large JSONL import (bench/README.md, "Ingest"). A command-wide choice, so made here, not in main().
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc keeps its default
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    return main(argv, after_import=_prepare_pages)


def _prepare_pages(out: Path) -> None:
    """Rollups, the repeated-id check and a small search-index gap, now rather than on the first page view
    (imported only after an import: the store and polars cost an ingest ~50 MiB it need not hold while reading)."""
    from evalboard.data.search import prepare

    prepare(out)


def _migrate(argv: list[str], debug: bool) -> int:
    from evalboard.commands.migrate import main

    return main(argv)


def _repair(argv: list[str], debug: bool) -> int:
    from evalboard.commands.repair import main

    return main(argv)


def _readiness(argv: list[str], debug: bool) -> int:
    from evalboard.commands.readiness import main

    return main([*argv, DEBUG_FLAG] if debug else argv, guard=False)  # `main` below guards every command once


# Subcommands with parsers of their own: everything after the name is theirs.
DELEGATED: dict[str, tuple[Callable[[list[str], bool], int], str]] = {
    "ingest": (_ingest, "import eval logs (Inspect AI, agentic-misalignment, Petri, JSONL, Parquet) into a dataset"),
    "migrate": (_migrate, "turn a plain-Parquet dataset folder into Delta tables (a folder or s3://bucket/prefix)"),
    "repair": (
        _repair,
        "remove from a dataset's Delta table logs the data files storage no longer holds (Delta's FSCK)",
    ),
    "readiness": (
        _readiness,
        "release verdict for a snapshot (exit 0 ready, 1 not ready, 2 insufficient data, 5 data incomplete)",
    ),
}


def _demo(args: argparse.Namespace) -> int:
    from evalboard.demo import write_demo

    counts = write_demo(Path(args.out), samples=args.samples, seed=args.seed)
    print(f"wrote {counts['samples']:,} samples and {counts['transcripts']:,} transcripts to {args.out}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from evalboard.commands.serve import serve

    return serve(args.data, args.port, args.address)


def build_parser() -> argparse.ArgumentParser:
    from evalboard.demo import DEFAULT_SAMPLES, DEFAULT_SEED

    parser = argparse.ArgumentParser(
        prog="evalboard",
        description=__doc__.split("\n\n")[0],
        epilog=f"exit code {EXIT_INTERNAL}: internal error (a bug, never a verdict); {DEBUG_FLAG} prints its traceback",
    )
    parser.add_argument(DEBUG_FLAG, action="store_true", help="print the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the seeded synthetic demo dataset")
    demo.add_argument("--out", default="data/demo", help="dataset folder to (re)write (default: data/demo)")
    demo.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="approximate number of samples")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed → same bytes)")
    demo.set_defaults(func=_demo)
    serve = sub.add_parser("serve", help="run the dashboard from the installed package")
    serve.add_argument(
        "--data",
        type=paths.dataset_location,
        help="dataset folder or s3://bucket/prefix (default: $EVALBOARD_DATA, else data/demo)",
    )
    serve.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    serve.add_argument(
        "--address",
        default=None,
        help="address to listen on (default: 127.0.0.1, this machine only; see the README's 'Running it for a team')",
    )
    serve.set_defaults(func=_serve)
    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv or bool(os.environ.get("EVALBOARD_DEBUG"))
    argv = [a for a in argv if a != DEBUG_FLAG]
    if argv and argv[0] in DELEGATED:
        func, _ = DELEGATED[argv[0]]
        return guarded(f"evalboard {argv[0]}", lambda: func(argv[1:], debug), debug)
    args = build_parser().parse_args(argv)
    return guarded(f"evalboard {args.command}", lambda: args.func(args), debug)


if __name__ == "__main__":
    sys.exit(main())
