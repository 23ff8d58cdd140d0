"""Readiness, the transcript viewer and a served first page: plain Parquet vs local Delta vs Delta on a local S3 API.

    python bench/s3_pages.py                        # 1,000,000 samples with transcripts (bench/synthetic.py)
    python bench/s3_pages.py --samples 200000 --runs 5 --ids 20

The same data (generated under the temp dir, never in the repository) as plain Parquet, local Delta tables and
Delta tables on S3 (moto's server in its own process, 127.0.0.1, as bench/delta_read.py), each measured in one run:

1. Readiness for one candidate: what pages/readiness.py calls (`load_catalog`, `pick_snapshot`, `candidate`,
   `judge` under the default gates file, `history`) on a warm store (refreshed, derived data built), the result
   cache emptied before each run (what a page pays after a new version), median of `--runs`; alone and with the
   version check a page load makes first (bench/delta_read.py's "version check").
2. The transcript viewer's data for one sample: what evalboard/ui/transcript_view.py and pages/transcripts.py read
   (`sample_detail` with the primary verdict, `awareness_labels`, the verdict history, `stages_with_steps`,
   `transcript`, `counterparts`), a different id each run, median of `--ids`.
3. A served app's first page after a start: `streamlit run app.py` (bench/serve.py, as the README runs it) with
   EVALBOARD_DATA at the dataset; the time until the server answers its health check, then the first complete
   Overview over the websocket (bench/stclient.py: until `script_finished`). Per dataset "cold" (no derived data: no
   `.index/` beside local data, an empty replica cache for S3) and "restart" (derived data present), `--starts`
   rounds interleaving the datasets, medians.

Prints the figures and the ratios S3 / local Delta, Delta / plain and S3 / plain, with the load average. Never sends
traffic past 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import synthetic  # noqa: E402
from delta_read import WRITE_OPTIONS, start_moto, timed  # noqa: E402
from deltalake import WriterProperties, write_deltalake  # noqa: E402
from serve import REPO, serve  # noqa: E402
from stclient import Session  # noqa: E402

from evalboard.core.schema import TABLES  # noqa: E402
from evalboard.data import reviews  # noqa: E402
from evalboard.data.delta import cache_dir  # noqa: E402
from evalboard.data.store import Store  # noqa: E402
from evalboard.ingest.writer import TRANSCRIPT_ROW_GROUP  # noqa: E402
from evalboard.screens import transcripts as samples  # noqa: E402
from evalboard.screens.readiness import catalog as rd_catalog  # noqa: E402
from evalboard.screens.readiness import judge as rd_judge  # noqa: E402
from evalboard.screens.readiness.gates import default_gates_file, load_gates  # noqa: E402

LOADS: list[float] = []


def to_delta(plain: Path, target: str, samples_row_group: int | None = None) -> None:
    """Each table of `plain` as one Delta table, written as `evalboard ingest` writes it (evalboard/data/delta_write:
    ZSTD; transcripts in row groups of TRANSCRIPT_ROW_GROUP, sorted by sample_id, so one is found by the row groups'
    statistics). delta-rs's default row group (~1M rows) would make every transcript read decode the whole table."""
    for table, schema in TABLES.items():
        files = sorted((plain / table).glob("*.parquet"))
        if files:
            data = pa.concat_tables([pq.read_table(f, schema=schema) for f in files])
            rows = {"transcripts": TRANSCRIPT_ROW_GROUP, "samples": samples_row_group}.get(table)
            props = WriterProperties(compression="ZSTD", max_row_group_size=rows) if rows else None
            props = props or WriterProperties(compression="ZSTD")
            write_deltalake(f"{target}/{table}", data, storage_options=WRITE_OPTIONS, writer_properties=props)


def readiness(store: Store) -> str:
    """The Readiness screen's work for the default candidate (the page's calls, in its order); its verdict."""
    store._cache.clear()
    catalog = rd_catalog.load_catalog(store)
    snapshot, _ = rd_catalog.pick_snapshot(catalog, [])
    current = rd_catalog.candidate(catalog, snapshot)
    gates = load_gates(default_gates_file())
    report = rd_judge.judge(catalog, snapshot, gates, current.intervention)
    rd_judge.history(catalog, gates, current.intervention)
    return report.overall


def viewer(store: Store, sample_id: str) -> int:
    """The transcript viewer's reads for one sample; the number of messages."""
    store._cache.clear()
    detail = samples.sample_detail(store, sample_id)
    assert detail is not None, sample_id
    samples.awareness_labels(store, sample_id)
    reviews.history(store, sample_id)
    samples.stages_with_steps(store)
    messages = samples.transcript(store, sample_id)
    assert messages, f"no transcript for {sample_id}"
    samples.counterparts(store, sample_id)
    return len(messages)


def pick_ids(plain: Path, count: int) -> list[str]:
    """`count` sample ids spread over the whole dataset (every file, every row group)."""
    store = Store(plain)
    store.refresh()
    sql = "SELECT sample_id FROM samples ORDER BY hash(sample_id) LIMIT ?"
    return [row[0] for row in store._con.execute(sql, [count]).fetchall()]


def page_load(store: Store, work) -> tuple[float, float]:
    """(the page load's refresh, the screen's work after it): a new script run, then its reads. Over S3 the refresh
    trusts the background version probe when it is fresh (evalboard/data/watch.py), as while a team uses the app."""
    store._scanned_at = None  # what a new page load does: ask storage for new versions
    check, _ = timed(lambda: store.refresh(new_run=True))
    return check, timed(work)[0]


def measure_store(data: str, runs: int, ids: list[str]) -> dict[str, float]:
    store = Store(data)
    store.refresh(new_run=True)  # a first page load (over S3 it starts the version probe)
    readiness(store)  # warm: the derived data and the first connection are not what is measured
    viewer(store, ids[0])
    idle_check = timed(store._delta.check)[0]  # what a page load asks storage when no probe is fresh (idle replica)
    if store._watch is not None:  # pages being loaded: the version probe runs (evalboard/data/watch.py)
        deadline = time.monotonic() + 10
        while not store._watch.fresh(time.monotonic()) and time.monotonic() < deadline:
            time.sleep(0.05)
    ready = [page_load(store, lambda: readiness(store)) for _ in range(runs)]
    LOADS.append(os.getloadavg()[0])
    view = [page_load(store, lambda i=i: viewer(store, i)) for i in ids[1:]]
    LOADS.append(os.getloadavg()[0])
    return {
        "Readiness, one candidate: screen work (median)": statistics.median(w for _, w in ready),
        "Readiness: + the page load's version check (median)": statistics.median(c + w for c, w in ready),
        "viewer, one sample: screen work (median)": statistics.median(w for _, w in view),
        "viewer, screen work p90": sorted(w for _, w in view)[int(0.9 * (len(view) - 1))],
        "viewer: + the page load's version check (median)": statistics.median(c + w for c, w in view),
        "the version check itself (a page load's when no probe is fresh)": idle_check,
    }


async def first_page(url: str) -> tuple[float, list[str]]:
    async with Session(url) as session:
        stats = await session.run("")
        return stats.seconds, stats.exceptions


def served(data: str, derived: Path, cold: bool) -> tuple[float, float]:
    """(seconds to a healthy server, seconds to its first complete Overview) after a start."""
    if cold:
        shutil.rmtree(derived, ignore_errors=True)
    env = {"EVALBOARD_DATA": data}
    t0 = time.perf_counter()
    with serve(REPO / "app.py", None, env=env) as server:
        up = time.perf_counter() - t0
        page, exceptions = asyncio.run(first_page(server.url))
    if exceptions:
        sys.exit(f"the Overview over {data} raised: {exceptions[0][:300]}")
    LOADS.append(os.getloadavg()[0])
    return up, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="Readiness runs per dataset (median)")
    parser.add_argument("--ids", type=int, default=25, help="viewer runs per dataset, one id each (median)")
    parser.add_argument("--starts", type=int, default=3, help="served starts per dataset and kind (median; 0: none)")
    parser.add_argument(
        "--samples-row-group", type=int, help="Delta samples table: row groups of N rows (default: as ingest)"
    )
    parser.add_argument("--profile", choices=["plain", "delta", "s3"], help="also cProfile both screens on one dataset")
    args = parser.parse_args()
    work = Path(tempfile.gettempdir())
    plain = work / "s3-pages-bench-plain"
    t0 = time.perf_counter()
    synthetic.generate(plain, args.samples, transcripts=True)
    generated = time.perf_counter() - t0
    local = work / "s3-pages-bench-local"
    shutil.rmtree(local, ignore_errors=True)
    to_delta(plain, str(local), args.samples_row_group)
    proc, endpoint = start_moto()
    aws = dict(
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1"
    )
    os.environ.update(aws)
    os.environ["XDG_CACHE_HOME"] = str(work / "s3-pages-bench-cache")  # the served apps share it (their env)
    shutil.rmtree(os.environ["XDG_CACHE_HOME"], ignore_errors=True)
    datasets = {"plain": str(plain), "delta": str(local), "s3": "s3://bench/ds"}
    derived = {"plain": plain / ".index", "delta": local / ".index", "s3": cache_dir("s3://bench/ds")}
    rows: dict[str, dict[str, float]] = {}
    try:
        import boto3

        boto3.client("s3").create_bucket(Bucket="bench")
        upload, _ = timed(lambda: to_delta(plain, "s3://bench/ds", args.samples_row_group))
        ids = pick_ids(plain, args.ids + 1)
        starts: dict[str, dict[str, list[float]]] = {key: {} for key in datasets}
        for rnd in range(args.starts):  # rounds interleave the datasets, so other load hits them alike
            for key, data in datasets.items():
                for cold in (True, False):
                    up, page = served(data, derived[key], cold)
                    label = "cold" if cold else "restart"
                    starts[key].setdefault(f"served: up ({label})", []).append(up)
                    starts[key].setdefault(f"served: first Overview ({label})", []).append(page)
                    starts[key].setdefault(f"served: start to Overview ({label})", []).append(up + page)
            print(f"starts round {rnd + 1}/{args.starts} done", file=sys.stderr, flush=True)
        for key, data in datasets.items():
            rows[key] = {name: statistics.median(values) for name, values in starts[key].items()}
            rows[key].update(measure_store(data, args.runs, ids))
            print(f"{key} done", file=sys.stderr, flush=True)
        if args.profile:
            import cProfile
            import pstats

            store = Store(datasets[args.profile])
            store.refresh()
            viewer(store, ids[0])
            for screen, work in (
                ("viewer", [lambda i=i: viewer(store, i) for i in ids[1:]]),
                ("Readiness", [lambda: readiness(store)] * args.runs),
            ):
                prof = cProfile.Profile()
                prof.enable()
                for one in work:
                    page_load(store, one)
                prof.disable()
                print(f"\n{screen} on {args.profile}, {len(work)} page loads:")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(
        f"\n{args.samples:,} samples with transcripts (generated in {generated:.1f} s); Delta tables written to S3 in "
        f"{upload:.1f} s; served starts median of {args.starts}, Readiness median of {args.runs}, viewer median of "
        f"{args.ids} ids; {os.cpu_count()} cores; "
        f"load {min(LOADS):.1f}-{max(LOADS):.1f}"
    )
    print("| measure | plain Parquet, local | Delta, local | Delta, S3 (moto) | Delta / plain | S3 / Delta local | "
          "S3 / plain |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in rows["plain"]:
        p, d, s = (rows[k][name] for k in ("plain", "delta", "s3"))
        print(f"| {name} | {p * 1000:.1f} ms | {d * 1000:.1f} ms | {s * 1000:.1f} ms | {d / p:.2f}x | {s / d:.2f}x | "
              f"{s / p:.2f}x |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
