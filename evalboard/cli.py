"""The `evalboard` command: `demo` writes the synthetic dataset; other subcommands live beside their rooms."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evalboard.demo import DEFAULT_SAMPLES, DEFAULT_SEED, write_demo


def _demo(args: argparse.Namespace) -> int:
    counts = write_demo(Path(args.out), samples=args.samples, seed=args.seed)
    print(f"wrote {counts['samples']:,} samples and {counts['transcripts']:,} transcripts to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the seeded synthetic demo dataset")
    demo.add_argument("--out", default="data/demo", help="dataset folder to (re)write (default: data/demo)")
    demo.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="approximate number of samples")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed → same bytes)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
