"""Server-side cost of every page, against reference pages served by the same Streamlit in the same run.

    python bench/pages.py                                      # embedded demo data, 7 rounds
    python bench/pages.py --data bench/out/synthetic-1000000 --rounds 7
    python bench/pages.py --before /tmp/evalboard-main    # also serve another checkout (e.g. `git archive main`)

No browser: bench/stclient.py opens a fresh websocket session per page load, asks for one page run and
waits for `script_finished` (loopback). Reference pages come from one tiny app: `?n=0` is an empty page (a
title), `?n=K` the title plus K trivial 3-bar Plotly charts. Rounds interleave every page and reference, so
load from other processes hits them alike; figures are medians. Per page it prints the run time, its ratio
to the reference with the same number of charts (empty page for pages without charts), script runs per
load, the server's CPU time per run (mean of /proc deltas, 10 ms ticks: steadier than wall time on a loaded
machine), bytes sent, Plotly charts, traces and figure JSON size; then a filter change (Overview with a
family picked in the sidebar, same session) against a rerun of the references; the first (cold) visit;
and the server's RSS. With `--before DIR`, the app of another checkout (run in DIR, with DIR's
.streamlit/config.toml) and the references under DIR's config are measured in the same rounds, and a
before/after table follows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


RUNS: dict[int, int] = {}  # server pid → script runs asked for (to spread its whole CPU over them)


async def load(server: Server, page: str, query: str) -> RunStats:
    RUNS[server.pid] = RUNS.get(server.pid, 0) + 1
    async with Session(server.url) as session:
        cpu = server.cpu_seconds()
        stats = await session.run(page, query)
        stats.cpu = server.cpu_seconds() - cpu
        return stats


async def change_filter(server: Server, family: str) -> RunStats:
    """Open the Overview, then pick one family in the sidebar: the time of that rerun."""
    RUNS[server.pid] = RUNS.get(server.pid, 0) + 2
    async with Session(server.url) as session:
        await session.run("")
        cpu = server.cpu_seconds()
        stats = await session.run("", multiselect={"Scenario family": [family]})
        stats.cpu = server.cpu_seconds() - cpu
        return stats


async def rerun_reference(server: Server, charts: int) -> RunStats:
    RUNS[server.pid] = RUNS.get(server.pid, 0) + 2
    async with Session(server.url) as session:
        await session.run("", f"n={charts}")
        cpu = server.cpu_seconds()
        stats = await session.run("", f"n={charts}")
        stats.cpu = server.cpu_seconds() - cpu
        return stats


def first_sample(data: Path) -> tuple[str, str]:
    from evalboard.data.store import Store

    store = Store(data)
    store.refresh()
    row = store._con.sql("SELECT sample_id, scenario_family FROM samples ORDER BY sample_id LIMIT 1").fetchall()[0]
    return row[0], row[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "demo", help="dataset (default: the demo)")
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (default 7)")
    parser.add_argument("--no-index", action="store_true", help="do not build the search index first (slow at 10M)")
    parser.add_argument("--before", type=Path, help="another checkout to measure in the same rounds (before a change)")
    args = parser.parse_args(argv)
    sample_id, family = first_sample(args.data)
    # The search index is built ahead (as after an import), so no background build competes with the pages.
    if not args.no_index:
        subprocess.run([sys.executable, "-m", "evalboard.data.search", str(args.data)], check=False, cwd=REPO)
    pages = targets(sample_id, family)
    refs = sorted({0, *(charts for *_, charts in pages)})

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="evalboard-ref-")))
        (tmp / "reference.py").write_text(REFERENCE_APP)
        servers = {"app": stack.enter_context(serve(REPO / "app.py", args.data))}
        servers["ref"] = stack.enter_context(serve(tmp / "reference.py"))
        if args.before:
            before = args.before.resolve()
            servers["before"] = stack.enter_context(serve(before / "app.py", args.data, checkout=before))
            servers["before ref"] = stack.enter_context(serve(tmp / "reference.py", checkout=before))
        rss_start = servers["app"].rss_mib()

        async def bench() -> tuple[dict, dict]:
            cold: dict[str, RunStats] = {}
            for name, server, page, query, _ in pages:  # first visit: Streamlit imports, store, caches cold
                cold[name] = await load(servers[server], page, query)
            for n in refs:
                await load(servers["ref"], "", f"n={n}")
            results: dict[str, list[RunStats]] = {}
            if args.before:  # warm the other checkout's caches too
                for _name, _, page, query, _ in pages:
                    await load(servers["before"], page, query)
                for n in refs:
                    await load(servers["before ref"], "", f"n={n}")
            RUNS.clear()
            totals.update({key: server.cpu_seconds() for key, server in servers.items()})
            for rnd in range(args.rounds):
                for name, server, page, query, _ in pages:
                    results.setdefault(name, []).append(await load(servers[server], page, query))
                    if args.before:
                        results.setdefault(f"before:{name}", []).append(await load(servers["before"], page, query))
                for n in refs:
                    results.setdefault(f"ref{n}", []).append(await load(servers["ref"], "", f"n={n}"))
                    if args.before:
                        results.setdefault(f"before:ref{n}", []).append(await load(servers["before ref"], "", f"n={n}"))
                # A search that matches nothing, new text each round (the store caches answers).
                results.setdefault("Transcripts search (no match)", []).append(
                    await load(servers["app"], "transcripts", f"q=zq{rnd}x-no-such-text")
                )
                results.setdefault("filter change (Overview)", []).append(await change_filter(servers["app"], family))
                if args.before:
                    results.setdefault("before:filter change (Overview)", []).append(
                        await change_filter(servers["before"], family)
                    )
                    results.setdefault("before:rerun0", []).append(await rerun_reference(servers["before ref"], 0))
                results.setdefault("rerun0", []).append(await rerun_reference(servers["ref"], 0))
                results.setdefault("rerun3", []).append(await rerun_reference(servers["ref"], 3))
                print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)
            return cold, results

        totals: dict[str, float] = {}
        cold, results = asyncio.run(bench())
        time.sleep(1.0)  # the last runs' after-work (post-run GC, watcher update) ends before the totals are read
        totals = {key: server.cpu_seconds() - totals[key] for key, server in servers.items()}
        per_run = {key: totals[key] / max(RUNS.get(server.pid, 0), 1) for key, server in servers.items()}
        rss_end = servers["app"].rss_mib()
        servers_pid = {key: server.pid for key, server in servers.items()}

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
    if args.before:
        print(f"\nbefore ({args.before}) and after (this checkout), same rounds; CPU ms per load, mean:")
        print("| page | before CPU ms | after CPU ms | after / before | before: ratio to its ref | after: ratio to its "
              "ref | after: ratio to before's ref |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, *_, charts in pages:
            b, a = cpu[f"before:{name}"], cpu[name]
            ref_b, ref_a = cpu[f"before:ref{charts}"], cpu[f"ref{charts}"]
            print(f"| {name} | {1000 * b:.0f} | {1000 * a:.0f} | {a / b:.2f} | {b / ref_b:.1f}x | {a / ref_a:.1f}x | "
                  f"{a / ref_b:.1f}x |")  # fmt: skip
        for charts in refs:
            print(
                f"| reference, {charts} trivial chart(s) | {1000 * cpu[f'before:ref{charts}']:.0f} | "
                f"{1000 * cpu[f'ref{charts}']:.0f} | {cpu[f'ref{charts}'] / cpu[f'before:ref{charts}']:.2f} | | | |"
            )
        b, a = cpu["before:filter change (Overview)"], cpu["filter change (Overview)"]
        print(
            f"| filter change (Overview) | {1000 * b:.0f} | {1000 * a:.0f} | {a / b:.2f} | "
            f"{b / cpu['before:rerun0']:.1f}x | {a / cpu['rerun0']:.1f}x | {a / cpu['before:rerun0']:.1f}x |"
        )
        print(f"| rerun of the empty page | {1000 * cpu['before:rerun0']:.0f} | {1000 * cpu['rerun0']:.0f} | | | | |")
    print(
        "\nWhole server CPU over the rounds per script run asked for (the work after `script_finished` too: "
        "Streamlit's post-run GC and file-watcher update, which the per-load CPU above can miss): "
        + ", ".join(
            f"{key} {1000 * value:.0f} ms ({RUNS.get(servers_pid[key], 0)} runs)" for key, value in per_run.items()
        )
    )
    print(f"\napp server RSS: {rss_start:.0f} MiB after start, {rss_end:.0f} MiB at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
