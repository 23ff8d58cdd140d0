"""A team at once: N concurrent Streamlit sessions against one server, clients that are not the bottleneck.

    python bench/load.py                                   # demo data, 1, 10, 20 and 50 sessions
    python bench/load.py --data bench/out/synthetic-1000000 --sessions 1,10,20 --loads 6
    python bench/load.py --checkout /tmp/evalboard-main      # another checkout, run in its folder with its config

Each session is a protocol-level client (bench/stclient.py: one websocket, `rerun_script` requests,
`ForwardMsg`s decoded but nothing rendered), so one asyncio process drives 50 sessions on a few percent of a
core. A session loads `--loads` pages in turn (Overview, Compare, Readiness, Transcripts, Data health, then
the Overview with a family filter), each after a think time drawn from an exponential distribution with mean
`--think` seconds (seeded), as people reading a page do; `--think 0` makes it a closed loop (throughput).
Reported per level: script time per page run (request sent → `script_finished`, loopback) p50 / p95, errors,
the server's RSS after the level (sessions still open) and its growth per session over the server's RSS
with one session open, and the server's CPU use. Everything is bounded: sessions × loads runs, a timeout
per run (`--timeout`), loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import REPO, Server, serve  # noqa: E402
from stclient import Session  # noqa: E402

PAGES = [("", ""), ("compare", ""), ("readiness", ""), ("transcripts", ""), ("data", ""), ("", "family=blackmail")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def user(server: Server, n: int, loads: int, think: float, timeout: float, results: list, errors: list, ready):
    rng = random.Random(n)
    try:
        async with Session(server.url) as session:
            await session.run("", timeout=timeout)  # the first page load opens the session
            ready.append(n)
            for i in range(loads):
                if think > 0:
                    await asyncio.sleep(rng.expovariate(1 / think))
                page, query = PAGES[(n + i) % len(PAGES)]
                stats = await session.run(page, query, timeout=timeout)
                if stats.exceptions:
                    errors.append(f"session {n} {page or 'overview'}: {stats.exceptions[0][:200]}")
                results.append(stats.seconds)
    except Exception as exc:  # noqa: BLE001 - a failed session is a result of the bench
        errors.append(f"session {n}: {type(exc).__name__}: {exc}"[:300])


async def level(server: Server, sessions: int, loads: int, think: float, timeout: float) -> dict:
    results: list[float] = []
    errors: list[str] = []
    ready: list[int] = []
    cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(user(server, n, loads, think, timeout, results, errors, ready) for n in range(sessions)))
    wall = time.perf_counter() - wall0
    return {
        "sessions": sessions,
        "runs": len(results),
        "p50": statistics.median(results) if results else float("nan"),
        "p95": percentile(results, 0.95) if results else float("nan"),
        "errors": errors,
        "cpu": (server.cpu_seconds() - cpu0) / wall,
        "wall": wall,
    }


async def hold_open(server: Server, sessions: int) -> float:
    """RSS with `sessions` sessions open at once, each having loaded the Overview and Compare."""
    clients = [Session(server.url) for _ in range(sessions)]
    for client in clients:
        await client.__aenter__()
    try:
        for page in ("", "compare"):
            await asyncio.gather(*(client.run(page) for client in clients))
        return server.rss_mib()
    finally:
        for client in clients:
            await client.__aexit__()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "demo", help="dataset (default: the demo)")
    parser.add_argument("--sessions", default="1,10,20,50", help="concurrency levels (default 1,10,20,50)")
    parser.add_argument("--loads", type=int, default=6, help="page loads per session after the first (default 6)")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between loads, s (default 2)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one page run may take (default 120)")
    parser.add_argument("--checkout", type=Path, help="serve another checkout's app (e.g. the version before a change)")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.sessions.split(",")]

    checkout = (args.checkout or REPO).resolve()
    with serve(checkout / "app.py", args.data, checkout=checkout) as server:
        asyncio.run(level(server, 1, len(PAGES), 0, args.timeout))  # warm-up: imports, caches, every page once
        rows = []
        for n in levels:
            loads = args.loads * 5 if n == 1 else args.loads  # enough runs for a single session's p95
            rows.append(asyncio.run(level(server, n, loads, args.think, args.timeout)))
            print(f"{n} sessions done", file=sys.stderr, flush=True)
        base_rss = asyncio.run(hold_open(server, 1))
        held = {n: asyncio.run(hold_open(server, n)) for n in levels if n > 1}

    single = rows[0]["p95"] if rows and rows[0]["sessions"] == 1 else float("nan")
    print(f"\ndataset: {args.data}; think time mean {args.think} s; {args.loads} loads per session; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| sessions | page runs | p50 ms | p95 ms | p95 / 1 | errors | server CPU | RSS all open | MiB/session |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        n = row["sessions"]
        rss = held.get(n, base_rss)
        per = (rss - base_rss) / (n - 1) if n > 1 else float("nan")
        print(
            f"| {n} | {row['runs']} | {1000 * row['p50']:.0f} | {1000 * row['p95']:.0f} | {row['p95'] / single:.1f}x | "
            f"{len(row['errors'])} | {100 * row['cpu']:.0f}% | {rss:.0f} MiB | {per:.1f} |"
        )
        for error in row["errors"][:3]:
            print(f"    {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
