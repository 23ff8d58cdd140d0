"""Peak memory of `evalboard ingest` on inputs whose shape, not size, used to set it (issue 22, item 3).

    python bench/memory.py                       # 400 x 1 MB JSONL records; an .eval whose member inflates to 3 GiB
    python bench/memory.py --member-gib 1 --records 200
    python bench/memory.py --work /tmp/m --reuse --checkout /work/main   # the same files through another tree

Cases, each ingested by its own child process into a fresh dataset (peak RSS = the child's VmHWM):
  jsonl-batches      400 records of ~1 MB in one JSONL file, through the Arrow batch path (the default)
  jsonl-per-record   the same file record by record (`--map explanation=notes` sends it there)
  jsonl-gzip         the same records gzip-compressed (.jsonl.gz), read as a stream
  eval-bomb          an Inspect .eval log of 3 samples plus one member that inflates to --member-gib GiB
                     (needs inspect-ai): the member is refused unread, the 3 samples imported
  imports            the interpreter with evalboard's ingest modules imported, nothing read (the floor)

Generated data goes to a temp dir (or --work) and is removed unless --keep.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_MIB = 600  # the ceiling the issue sets
# The child's own peak RSS: VmHWM starts afresh at exec (getrusage's ru_maxrss would report the forking parent's).
RSS = (
    "import sys; print('peak_rss_kib=' + [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
    " file=sys.stderr)"
)
INGEST = f"""
import sys
from evalboard.commands.cli import main  # the `evalboard` command, as a user runs `evalboard ingest …`
code = main(["ingest", *sys.argv[1:]])
{RSS}
sys.exit(code)
"""
IMPORTS = f"""
import evalboard.commands.cli, evalboard.commands.ingest, evalboard.ingest.pipeline, evalboard.ingest.formats.inspect
{RSS}
"""
WORDS = ["the", "board", "meeting", "Kyle", "affair", "leverage", "wipe", "cancel", "email", "summit", "Alex"]


def _record(i: int, size: int, rng: random.Random) -> dict:
    text = " ".join(rng.choice(WORDS) for _ in range(size // 6))[:size]
    return {
        "sample_id": f"big-{i:04d}",
        "snapshot": "ckpt-1",
        "harmful": i % 3 == 0,
        "notes": "n",
        "messages": [{"role": "user", "content": "Read the inbox."}, {"role": "assistant", "content": text}],
    }


def write_jsonl(path: Path, records: int, size: int) -> Path:
    rng = random.Random(22)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as fh:
        for i in range(records):
            fh.write(json.dumps(_record(i, size, rng)) + "\n")
    return path


def write_bomb(work: Path, gib: float) -> Path:
    """A real Inspect log of 3 samples (Inspect's own recorder, mock model) plus a member inflating to `gib` GiB."""
    from tests.ingest.inspect_logs import make_log

    log = make_log(work / "logs", [{"id": f"e{i}", "metadata": {"verdict": "C"}} for i in range(3)])
    chunk = b" " * (64 << 20)
    with zipfile.ZipFile(log, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        info = zipfile.ZipInfo("samples/bomb_epoch_1.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(b'{"id": "bomb", "epoch": 1, "input": "')
            for _ in range(int(gib * 16)):
                fh.write(chunk)
            fh.write(b'"}')
    return log


def measure(name: str, script: str, args: list[str], tree: Path = ROOT) -> dict:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )
    seconds = time.monotonic() - started
    peak = [int(x.split("=")[1]) for x in done.stderr.splitlines() if x.startswith("peak_rss_kib=")]
    records = [x for x in done.stdout.splitlines() if x.startswith("records:")]
    result = {
        "case": name,
        "exit": done.returncode,
        "peak_rss_mib": round(peak[0] / 1024) if peak else None,
        "seconds": round(seconds, 1),
        "summary": records[0] if records else done.stderr.strip().splitlines()[-1:],
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--record-mb", type=float, default=1.0)
    parser.add_argument("--member-gib", type=float, default=3.0)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse the files already in --work")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the evalboard tree to measure (default: this)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="evalboard-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    size = int(args.record_mb * 1_000_000)
    try:
        plain, packed, bomb = work / "big.jsonl", work / "big.jsonl.gz", work / "logs" / "bomb.eval"
        if not args.reuse:
            write_jsonl(plain, args.records, size)
            write_jsonl(packed, args.records, size)
        mib = plain.stat().st_size / 2**20, packed.stat().st_size / 2**20
        print(f"# {mib[0]:.0f} MiB JSONL, {mib[1]:.0f} MiB gzip; measuring {args.checkout}", flush=True)
        tree = args.checkout.resolve()
        for out in work.glob("o[0-9]"):
            shutil.rmtree(out)
        results = [measure("imports", IMPORTS, [], tree)]
        results.append(measure("jsonl-batches", INGEST, [str(plain), "--out", str(work / "o1"), "-q"], tree))
        results.append(
            measure(
                "jsonl-per-record",
                INGEST,
                [str(plain), "--out", str(work / "o2"), "-q", "--map", "explanation=notes"],
                tree,
            )
        )
        results.append(measure("jsonl-gzip", INGEST, [str(packed), "--out", str(work / "o3"), "-q"], tree))
        if not args.reuse:
            try:
                write_bomb(work, args.member_gib).rename(bomb)
            except ImportError:
                print("# eval-bomb skipped: inspect-ai is not installed", flush=True)
        if bomb.exists():
            print(f"# .eval of {bomb.stat().st_size / 2**20:.1f} MiB, member {args.member_gib:g} GiB", flush=True)
            results.append(measure("eval-bomb", INGEST, [str(bomb), "--out", str(work / "o4"), "-q"], tree))
        worst = max(r["peak_rss_mib"] or 0 for r in results)
        print(f"# highest peak {worst} MiB ({'under' if worst < LIMIT_MIB else 'OVER'} {LIMIT_MIB} MiB)")
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
