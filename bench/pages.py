"""Server-side cost of every page, against reference pages served by the same Streamlit in the same run.

    python bench/pages.py                                      # embedded demo data, 7 rounds
    python bench/pages.py --data bench/out/synthetic-1000000 --rounds 7

No browser: bench/stclient.py opens a fresh websocket session per page load, asks for one page run and
waits for `script_finished` (loopback). Reference pages come from one tiny app: `?n=0` is an empty page (a
title), `?n=K` the title plus K trivial 3-bar Plotly charts. Rounds interleave every page and reference, so
load from other processes hits them alike; figures are medians. Per page it prints the run time, its ratio
to the reference with the same number of charts (empty page for pages without charts), script runs per
load, the server's CPU time per run (mean of /proc deltas, 10 ms ticks: steadier than wall time on a loaded
machine), bytes sent, Plotly charts, traces and figure JSON size; then a filter change (Overview with a
family picked in the sidebar, same session) against a rerun of the references; the first (cold) visit;
and the server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from serve import REPO, Server, serve  # noqa: E402
from stclient import RunStats, Session  # noqa: E402

REFERENCE_APP = """import plotly.graph_objects as go
import streamlit as st

st.title("reference")
for i in range(int(st.query_params.get("n", 0))):
    st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[1, 2, 3])), key=f"chart{i}")
"""


def targets(sample_id: str, family: str) -> list[tuple[str, str, str, str, int]]:
    """(name, server, page, query, charts): `charts` picks the reference page the ratio is taken against."""
    return [
        ("Overview", "app", "", "", 3),
        ("Compare", "app", "compare", "", 5),
        ("Readiness", "app", "readiness", "", 1),
        ("Transcripts list", "app", "transcripts", "", 0),
        ("transcript viewer", "app", "transcripts", f"sample={sample_id}", 0),
        ("Data health", "app", "data", "", 0),
        ("Overview, one family (URL)", "app", "", f"family={family}", 3),
    ]


async def load(server: Server, page: str, query: str) -> RunStats:
    async with Session(server.url) as session:
        cpu = server.cpu_seconds()
        stats = await session.run(page, query)
        stats.cpu = server.cpu_seconds() - cpu
        return stats


async def change_filter(server: Server, family: str) -> RunStats:
    """Open the Overview, then pick one family in the sidebar: the time of that rerun."""
    async with Session(server.url) as session:
        await session.run("")
        cpu = server.cpu_seconds()
        stats = await session.run("", multiselect={"Scenario family": [family]})
        stats.cpu = server.cpu_seconds() - cpu
        return stats


async def rerun_reference(server: Server, charts: int) -> RunStats:
    async with Session(server.url) as session:
        await session.run("", f"n={charts}")
        cpu = server.cpu_seconds()
        stats = await session.run("", f"n={charts}")
        stats.cpu = server.cpu_seconds() - cpu
        return stats


def first_sample(data: Path) -> tuple[str, str]:
    from evalboard.store import Store

    store = Store(data)
    store.refresh()
    row = store._con.sql("SELECT sample_id, scenario_family FROM samples ORDER BY sample_id LIMIT 1").fetchall()[0]
    return row[0], row[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "demo", help="dataset (default: the demo)")
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (default 7)")
    parser.add_argument("--no-index", action="store_true", help="do not build the search index first (slow at 10M)")
    args = parser.parse_args(argv)
    sample_id, family = first_sample(args.data)
    # The search index is built ahead (as after an import), so no background build competes with the pages.
    if not args.no_index:
        subprocess.run([sys.executable, "-m", "evalboard.search", str(args.data)], check=False, cwd=REPO)
    pages = targets(sample_id, family)
    refs = sorted({0, *(charts for *_, charts in pages)})

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="evalboard-ref-")))
        (tmp / "reference.py").write_text(REFERENCE_APP)
        servers = {"app": stack.enter_context(serve(REPO / "app.py", args.data))}
        servers["ref"] = stack.enter_context(serve(tmp / "reference.py"))
        rss_start = servers["app"].rss_mib()

        async def bench() -> tuple[dict, dict]:
            cold: dict[str, RunStats] = {}
            for name, server, page, query, _ in pages:  # first visit: Streamlit imports, store, caches cold
                cold[name] = await load(servers[server], page, query)
            for n in refs:
                await load(servers["ref"], "", f"n={n}")
            results: dict[str, list[RunStats]] = {}
            for rnd in range(args.rounds):
                for name, server, page, query, _ in pages:
                    results.setdefault(name, []).append(await load(servers[server], page, query))
                for n in refs:
                    results.setdefault(f"ref{n}", []).append(await load(servers["ref"], "", f"n={n}"))
                # A search that matches nothing, new text each round (the store caches answers).
                results.setdefault("Transcripts search (no match)", []).append(
                    await load(servers["app"], "transcripts", f"q=zq{rnd}x-no-such-text")
                )
                results.setdefault("filter change (Overview)", []).append(await change_filter(servers["app"], family))
                results.setdefault("rerun0", []).append(await rerun_reference(servers["ref"], 0))
                results.setdefault("rerun3", []).append(await rerun_reference(servers["ref"], 3))
                print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)
            return cold, results

        cold, results = asyncio.run(bench())
        rss_end = servers["app"].rss_mib()

    med = {name: statistics.median(r.seconds for r in runs) for name, runs in results.items()}
    cpu = {name: statistics.mean(r.cpu for r in runs) for name, runs in results.items()}
    print(
        f"\ndataset: {args.data}; {args.rounds} rounds, medians; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| page | server ms | ref ms | ratio | CPU ms | ref CPU ms | CPU ratio | runs/load | KiB sent | charts "
        "| traces | figure KiB | cold ms |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, *_, charts in [*pages, ("Transcripts search (no match)", "", "", "", 0)]:
        last = results[name][-1]
        ref = "empty" if charts == 0 else f"{charts} trivial"
        cold_ms = f"{1000 * cold[name].seconds:.0f}" if name in cold else "–"
        print(
            f"| {name} | {1000 * med[name]:.0f} | {ref} ({1000 * med[f'ref{charts}']:.0f}) | "
            f"{med[name] / med[f'ref{charts}']:.1f}x | {1000 * cpu[name]:.0f} | {1000 * cpu[f'ref{charts}']:.0f} | "
            f"{cpu[name] / max(cpu[f'ref{charts}'], 1e-3):.1f}x | {last.runs} | {last.bytes / 1024:.1f} | "
            f"{last.charts} | "
            f"{last.traces} | {last.figure_bytes / 1024:.1f} | {cold_ms} |"
        )
        if last.exceptions:
            print(f"    EXCEPTION on {name}: {last.exceptions[0][:300]}")
    fc = med["filter change (Overview)"]
    print(
        f"| filter change (Overview, pick a family) | {1000 * fc:.0f} | rerun of empty ({1000 * med['rerun0']:.0f})"
        f" / of 3 trivial ({1000 * med['rerun3']:.0f}) | {fc / med['rerun0']:.1f}x / {fc / med['rerun3']:.1f}x |"
        f" CPU {1000 * cpu['filter change (Overview)']:.0f} vs {1000 * cpu['rerun0']:.0f} / "
        f"{1000 * cpu['rerun3']:.0f} ms |"
    )
    print(f"\napp server RSS: {rss_start:.0f} MiB after start, {rss_end:.0f} MiB at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
