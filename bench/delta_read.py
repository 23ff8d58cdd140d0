"""The store over Delta tables: local disk vs a local S3 API (moto's server in its own process, 127.0.0.1).

    python bench/delta_read.py                      # 200,000 samples (bench/synthetic.py), no transcripts
    python bench/delta_read.py --samples 1000000

Measures, for the same data as plain Parquet, local Delta tables and Delta tables on S3: the first refresh of a new
store (cold: the derived data is built; warm: a second store finds it, beside the data or in the replica's cache),
one page's aggregate queries (Overview's rate_by_intervention and dataset_totals) uncached, the version check a page
load makes when nothing changed, and what a new version (a 1,000-sample append) costs a warm store. Also the size of
the derived data. Never sends traffic past 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import write_deltalake

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from evalboard.core.schema import SAMPLES, TABLES  # noqa: E402
from evalboard.data.delta import cache_dir  # noqa: E402
from evalboard.data.store import Store  # noqa: E402

WRITE_OPTIONS = {"AWS_ALLOW_HTTP": "true"}  # the writes here; the store derives it from the http:// endpoint itself
PARAMS = {"source": "primary", "snapshots": [], "interventions": [], "stages": [], "families": [], "graders": []}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


def to_delta(plain: Path, target: str) -> None:
    for table, schema in TABLES.items():
        files = sorted((plain / table).glob("*.parquet"))
        if files:
            data = pa.concat_tables([pq.read_table(f, schema=schema) for f in files])
            write_deltalake(f"{target}/{table}", data, storage_options=WRITE_OPTIONS)


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def page_queries(store: Store) -> None:
    """One page's aggregate queries, uncached (what a page pays after a new version), after the page load's check."""
    store._cache.clear()
    store.run("dataset_totals")
    store.run("rate_by_intervention", PARAMS)


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def measure(label: str, data: str, derived: Path) -> dict:
    cold, store = timed(lambda: Store(data))
    first, _ = timed(store.refresh)
    warm_store = Store(data)
    second, _ = timed(warm_store.refresh)
    store.refresh(new_run=True)  # this thread is one script run: its queries reuse the run's check
    queries = min(timed(lambda: page_queries(store))[0] for _ in range(3))
    checks = []
    for _ in range(10):
        store._scanned_at = None  # what a new page load does: ask storage for new versions
        checks.append(timed(lambda: store.refresh(new_run=True))[0])
    extra = pq.read_table(next((Path(tempfile.gettempdir()) / "delta-read-bench-plain" / "samples").glob("*.parquet")))
    append = extra.slice(0, 1000).cast(SAMPLES)
    append = append.set_column(0, "sample_id", pa.array([f"new-{i}" for i in range(1000)]))
    if data.startswith("s3://") or (Path(data) / "samples" / "_delta_log").is_dir():
        write_deltalake(f"{data}/samples", append, mode="append", storage_options=WRITE_OPTIONS)
    else:
        pq.write_table(append, Path(data) / "samples" / "zz-append.parquet")
    new_version, _ = timed(lambda: (store.refresh(new_run=True), page_queries(store)))
    checks.sort()
    return {
        "dataset": label,
        "first refresh (cold)": first,
        "first refresh (derived data present)": second,
        "page queries": queries,
        "version check p50": checks[len(checks) // 2],
        "new version + page queries": new_version,
        "derived MB": size(derived) / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200_000)
    args = parser.parse_args()
    work = Path(tempfile.gettempdir())
    plain = work / "delta-read-bench-plain"
    synthetic.generate(plain, args.samples, transcripts=False)
    local = work / "delta-read-bench-local"
    shutil.rmtree(local, ignore_errors=True)
    to_delta(plain, str(local))
    proc, endpoint = start_moto()
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1"
    )
    os.environ["XDG_CACHE_HOME"] = str(work / "delta-read-bench-cache")
    shutil.rmtree(os.environ["XDG_CACHE_HOME"], ignore_errors=True)
    try:
        import boto3

        boto3.client("s3").create_bucket(Bucket="bench")
        t0 = time.perf_counter()
        to_delta(plain, "s3://bench/ds")
        upload = time.perf_counter() - t0
        rows = [
            measure("plain Parquet, local", str(plain), plain / ".index"),
            measure("Delta, local", str(local), local / ".index"),
            measure("Delta, S3 (moto, 127.0.0.1)", "s3://bench/ds", cache_dir("s3://bench/ds")),
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"{args.samples:,} samples; writing the Delta tables to S3: {upload:.1f} s; load {os.getloadavg()[0]:.1f}")
    keys = list(rows[0])[1:]
    print("| measure | " + " | ".join(r["dataset"] for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for key in keys:
        cells = [f"{r[key]:.2f}" if key.endswith("MB") else f"{r[key] * 1000:.1f} ms" for r in rows]
        print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
