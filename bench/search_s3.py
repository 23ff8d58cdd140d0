"""The search index built over Delta tables on a local S3 API against the same tables on local disk (issue 24).

    python bench/search_s3.py                             # 100,000 samples with transcripts, in 10 commits
    python bench/search_s3.py --samples 100000 --commits 10 --runs 3

The same data (bench/synthetic.py, generated under the temp dir, never in the repository) as plain Parquet, local
Delta tables and Delta tables on S3 (moto's server in its own process on 127.0.0.1, as bench/delta_read.py), each
Delta table written in `--commits` appends as imports write them (ZSTD, transcripts in TRANSCRIPT_ROW_GROUP-row
groups). Per dataset, in rounds interleaving the datasets, medians of `--runs`:

1. the index built from nothing: `SearchIndex.update` after one page load's version check (what `python -m
   evalboard.data.search DATA` does); on S3 also the part spent fetching the data files to local temporary copies;
2. one more import (1% of the samples, new ids) indexed incrementally, the same way;
3. a search's first page through the index (`samples.sample_page`; the same matches on every dataset).

Prints the figures, the index's size and the ratios S3 / local Delta and S3 / plain, with the load average. Never
sends traffic past 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import synthetic  # noqa: E402
from delta_read import WRITE_OPTIONS, start_moto  # noqa: E402
from deltalake import WriterProperties, write_deltalake  # noqa: E402

from evalboard.core.schema import TABLES  # noqa: E402
from evalboard.core.view import View  # noqa: E402
from evalboard.data import search  # noqa: E402
from evalboard.data.store import Store  # noqa: E402
from evalboard.ingest.writer import TRANSCRIPT_ROW_GROUP  # noqa: E402
from evalboard.screens import transcripts as samples  # noqa: E402

SEARCHED = ("samples", "transcripts")  # the synthetic data's searched tables (explanations, transcripts)
LOADS: list[float] = []


class TimedIndex(search.SearchIndex):
    """The search index, counting the seconds and bytes spent fetching remote data files."""

    fetching = 0.0
    fetched = 0

    @contextlib.contextmanager
    def _fetched(self, uri: str) -> Iterator[Path]:
        start = time.perf_counter()
        with super()._fetched(uri) as local:
            self.fetching += time.perf_counter() - start
            self.fetched += local.stat().st_size
            yield local


def tables(plain: Path) -> dict[str, pa.Table]:
    return {t: pa.concat_tables([pq.read_table(f, schema=TABLES[t]) for f in sorted((plain / t).glob("*.parquet"))])
            for t in SEARCHED}  # fmt: skip


def append(target: str, data: dict[str, pa.Table], commits: int) -> None:
    """Each table appended in `commits` slices, one Delta commit each, written as evalboard ingest writes them."""
    for table, rows in data.items():
        group = TRANSCRIPT_ROW_GROUP if table == "transcripts" else None
        props = WriterProperties(compression="ZSTD", max_row_group_size=group) if group else None
        props = props or WriterProperties(compression="ZSTD")
        bounds = [rows.num_rows * k // commits for k in range(commits + 1)]
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            part = rows.slice(lo, hi - lo)
            write_deltalake(
                f"{target}/{table}", part, mode="append", storage_options=WRITE_OPTIONS, writer_properties=props
            )


def one_import(data: dict[str, pa.Table], share: float, tag: str) -> dict[str, pa.Table]:
    """A further import: the first `share` of each table under new sample ids (`tag` + the id)."""
    out = {}
    for table, rows in data.items():
        part = rows.slice(0, max(1, int(rows.num_rows * share)))
        ids = pc.binary_join_element_wise(tag, part.column("sample_id"), "")
        out[table] = part.set_column(part.schema.get_field_index("sample_id"), "sample_id", ids)
    return out


def fresh(index: search.SearchIndex) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(index.path) + suffix).unlink(missing_ok=True)


def build(data: str) -> dict[str, float]:
    """The index of `data` built from nothing: seconds, and seconds fetching (S3)."""
    store = Store(data)
    store.refresh()
    index = TimedIndex(store)
    fresh(index)
    store._scanned_at = None
    store.refresh(new_run=True)  # one page load's version check, as the background build makes (search.main)
    start = time.perf_counter()
    assert index.update(), index.problem
    took = time.perf_counter() - start
    LOADS.append(os.getloadavg()[0])
    size = sum(p.stat().st_size for p in index.path.parent.glob(search.INDEX_FILE + "*"))
    return {"build": took, "fetching": index.fetching, "fetched": index.fetched, "size": size}


def incremental(data: str, extra: dict[str, pa.Table], tag: str) -> float:
    """Seconds to index one more import (its files alone) into a current index."""
    store = Store(data)
    index = TimedIndex(store)
    store.refresh()
    assert index.update(), index.problem
    if data.startswith("s3://") or (Path(data) / "samples" / "_delta_log").is_dir():
        append(data, extra, 1)
    else:
        for table, rows in extra.items():
            pq.write_table(rows, Path(data) / table / f"zz-import-{tag}.parquet")
    store._scanned_at = None
    store.refresh(new_run=True)
    start = time.perf_counter()
    assert index.update(), index.problem
    return time.perf_counter() - start


def first_page(data: str, text: str) -> tuple[float, int]:
    store = Store(data)
    store.refresh(new_run=True)
    request = samples.ListRequest(View(), query=text)
    assert search.index_for(store).ensure(background=False)
    samples.sample_page(store, request)
    times = []
    for _ in range(5):
        store._cache.clear()
        search.index_for(store)._hits.clear()
        start = time.perf_counter()
        _, total = samples.sample_page(store, request)
        times.append(time.perf_counter() - start)
    return statistics.median(times), total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--commits", type=int, default=10, help="imports the Delta tables are written in")
    parser.add_argument("--runs", type=int, default=3, help="builds per dataset (median)")
    parser.add_argument("--text", default="sample 77777", help="the search timed through the index")
    args = parser.parse_args()
    work = Path(tempfile.gettempdir())
    plain, delta = work / "search-s3-bench-plain", work / "search-s3-bench-delta"
    synthetic.generate(plain, args.samples, transcripts=True)
    for table in set(TABLES) - set(SEARCHED):
        shutil.rmtree(plain / table, ignore_errors=True)
    base = tables(plain)
    shutil.rmtree(delta, ignore_errors=True)
    append(str(delta), base, args.commits)
    proc, endpoint = start_moto()
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1"
    )
    os.environ["XDG_CACHE_HOME"] = str(work / "search-s3-bench-cache")
    shutil.rmtree(os.environ["XDG_CACHE_HOME"], ignore_errors=True)
    uri = "s3://bench/ds"
    datasets = {"plain": str(plain), "local Delta": str(delta), "S3 Delta": uri}
    try:
        import boto3

        boto3.client("s3").create_bucket(Bucket="bench")
        append(uri, base, args.commits)
        parquet = sum(p.stat().st_size for p in plain.rglob("*.parquet")) / 2**20
        print(f"{args.samples:,} samples with transcripts ({parquet:.0f} MiB Parquet), Delta tables in "
              f"{args.commits} commits each; moto on {endpoint}", flush=True)  # fmt: skip
        builds: dict[str, list[dict[str, float]]] = {k: [] for k in datasets}
        for rnd in range(args.runs):
            for key, data in datasets.items():
                builds[key].append(build(data))
            print(f"build round {rnd + 1}/{args.runs} done", file=sys.stderr, flush=True)
        pages = {key: first_page(data, args.text) for key, data in datasets.items()}
        assert len({total for _, total in pages.values()}) == 1, pages
        increments: dict[str, list[float]] = {k: [] for k in datasets}
        for run in range(args.runs):  # each run one more import, under new ids
            extra = one_import(base, 0.01, f"x{run}-")
            for key, data in datasets.items():
                increments[key].append(incremental(data, extra, f"x{run}"))
        print("\n| dataset | index build from nothing (s) | of it fetching | +1% import indexed (ms) | first page of "
              f"`{args.text}` (ms) | index MiB |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|")
        med: dict[str, dict[str, float]] = {}
        for key in datasets:
            med[key] = {
                "build": statistics.median(b["build"] for b in builds[key]),
                "fetching": statistics.median(b["fetching"] for b in builds[key]),
                "size": builds[key][-1]["size"] / 2**20,
                "increment": statistics.median(increments[key]),
                "page": pages[key][0],
            }
            m = med[key]
            mib = builds[key][-1]["fetched"] / 2**20
            fetching = f"{m['fetching']:.2f} s ({mib:.1f} MiB)" if m["fetching"] else "—"
            print(f"| {key} | {m['build']:.1f} ({[round(b['build'], 1) for b in builds[key]]}) | {fetching} | "
                  f"{1000 * m['increment']:.0f} | {1000 * m['page']:.0f} | {m['size']:.0f} |")  # fmt: skip
        s3, local, flat = med["S3 Delta"], med["local Delta"], med["plain"]
        print(f"\nS3 / local Delta: build {s3['build'] / local['build']:.2f}x, +1% import "
              f"{s3['increment'] / local['increment']:.2f}x, first page {s3['page'] / local['page']:.2f}x")  # fmt: skip
        print(f"S3 / plain: build {s3['build'] / flat['build']:.2f}x; local Delta / plain "
              f"{local['build'] / flat['build']:.2f}x; matches {pages['plain'][1]:,}")  # fmt: skip
        print(f"load average during the builds: {min(LOADS):.1f}-{max(LOADS):.1f}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
