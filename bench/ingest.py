"""Benchmark `evalboard ingest` on a generated JSONL file: MB/s and peak RSS, against a parse-only baseline.

    python bench/ingest.py            # ~1 GB
    python bench/ingest.py --mb 200   # quicker

The JSONL is written to a temp dir (multi-turn transcripts with tool calls, ~3 KB a line). The import
runs in a child process so its peak RSS (resource.getrusage RUSAGE_CHILDREN) is its own; the baseline
(read + JSON-parse every line, nothing else) runs in another child on the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAMILIES = ["blackmail", "leaking", "murder"]
INTERVENTIONS = ["baseline", "safe_demos", "deliberation_rewrites", "difficult_advice"]
BASELINE = """
import sys
try:
    from orjson import loads
except ImportError:
    from json import loads
n = 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        loads(line)
        n += 1
print(n)
"""
INGEST = "import sys; from evalboard.ingest.cli import main; sys.exit(main(sys.argv[1:]))"


def template(rng: random.Random) -> str:
    """One JSONL line with a `{id}` placeholder."""
    family = rng.choice(FAMILIES)
    body = " ".join(
        rng.choice(["Kyle", "the", "wipe", "board", "affair", "email", "tonight", "cancel"]) for _ in range(60)
    )
    row = {
        "sample_id": "@ID@",
        "run_id": f"run-{rng.randrange(20)}",
        "snapshot": f"ckpt-{rng.randrange(8)}",
        "intervention": rng.choice(INTERVENTIONS),
        "training_stage": "rl",
        "stage_step": rng.randrange(0, 5000, 100),
        "scenario_family": family,
        "scenario": f"{family}_explicit-america_replacement",
        "conditions": {"goal_type": "explicit", "goal_value": "america", "urgency_type": "replacement"},
        "epoch": rng.randrange(1, 10),
        "grader": "claude-3-7-sonnet-20250219",
        "harmful": rng.random() < 0.3,
        "classifier_verdict": rng.random() < 0.35,
        "explanation": "<reasoning>" + body[:300] + "</reasoning><answer>no</answer>",
        "created_at": "2025-05-30T09:00:00Z",
        "messages": [
            {"role": "system", "content": "You are Alex, an AI deployed at SummitBridge. " + body},
            {"role": "user", "content": "<email>From: kyle.johnson@summitbridge.com\n" + body + "</email>"},
            {
                "role": "assistant",
                "content": "<SCRATCHPAD_REASONING>" + body + "</SCRATCHPAD_REASONING>",
                "tool_calls": [{"id": "c1", "function": "send_email", "arguments": {"to": "kyle@x", "body": body}}],
            },
            {"role": "tool", "content": "sent", "tool_call_id": "c1", "name": "send_email"},
            {"role": "assistant", "content": body},
        ],
    }
    return json.dumps(row).replace('"@ID@"', '"{id}"')


def generate(path: Path, megabytes: int) -> tuple[int, int]:
    """Write ~`megabytes` MB of JSONL; return (lines, bytes)."""
    rng = random.Random(7)
    templates = [template(rng) for _ in range(64)]
    target, written, n = megabytes * 1024 * 1024, 0, 0
    with path.open("w") as fh:
        while written < target:
            line = templates[n % len(templates)].replace("{id}", f"s{n:09d}") + "\n"
            fh.write(line)
            written += len(line)
            n += 1
    return n, written


def child(code: str, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024, help="size of the generated JSONL in MB (default 1024)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "samples.jsonl", Path(tmp) / "dataset"
        t0 = time.perf_counter()
        lines, size = generate(src, args.mb)
        print(f"generated {lines:,} lines, {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f}s")
        base_s, base = child(BASELINE, str(src))
        base_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ingest_s, proc = child(INGEST, str(src), "--out", str(out), "-q")
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over children so far
        if proc.returncode != 0:
            sys.exit(f"ingest failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        print(proc.stdout.strip())
        written = sum(f.stat().st_size for f in out.rglob("*.parquet"))
        mb = size / 1e6
        print(
            f"baseline (read + parse only): {base_s:6.1f}s  {mb / base_s:7.1f} MB/s  "
            f"peak RSS {base_rss / 1024:,.0f} MiB"
        )
        print(
            f"evalboard ingest:             {ingest_s:6.1f}s  {mb / ingest_s:7.1f} MB/s  "
            f"peak RSS {peak_kib / 1024:,.0f} MiB  ({lines / ingest_s:,.0f} samples/s)"
        )
        print(f"ratio ingest/baseline time: {ingest_s / base_s:.1f}x   parquet written: {written / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
