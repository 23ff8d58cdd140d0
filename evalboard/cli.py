"""The `evalboard` command.

`demo` writes the synthetic dataset; `ingest` imports eval logs (evalboard/ingest/cli.py);
`readiness` prints a snapshot's release verdict (evalboard/readiness_cli.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from evalboard.demo import DEFAULT_SAMPLES, DEFAULT_SEED, write_demo


def _ingest(argv: list[str]) -> int:
    from evalboard.ingest.cli import main

    return main(argv)


def _readiness(argv: list[str]) -> int:
    from evalboard.readiness_cli import main

    return main(argv)


# Subcommands with parsers of their own: everything after the name is theirs.
DELEGATED: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "ingest": (_ingest, "import eval logs (Inspect AI, agentic-misalignment, Petri, JSONL, Parquet) into a dataset"),
    "readiness": (_readiness, "release verdict for a snapshot (exit 0 ready, 1 not ready, 2 insufficient data)"),
}


def _demo(args: argparse.Namespace) -> int:
    counts = write_demo(Path(args.out), samples=args.samples, seed=args.seed)
    print(f"wrote {counts['samples']:,} samples and {counts['transcripts']:,} transcripts to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalboard", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the seeded synthetic demo dataset")
    demo.add_argument("--out", default="data/demo", help="dataset folder to (re)write (default: data/demo)")
    demo.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="approximate number of samples")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed → same bytes)")
    demo.set_defaults(func=_demo)
    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        return DELEGATED[argv[0]][0](argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
