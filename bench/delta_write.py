"""What the Delta write side costs at 1M samples (issue 24; bench/README.md, "delta_write.py").

Builds a 1M-row samples Delta table (the demo's samples repeated under fresh ids), then times, median of --repeat:
  * append   — one 20k-row part appended as one commit (`delta_write.append`, what ingest does per part);
  * check    — the ingest writer's pre-commit de-duplication of a 20k-id batch against the table's current snapshot
               (`delta_write.present` with `queries/ingest_present_ids_delta.sql`), new ids and already-present ids;
  * read     — the read-side rule's cost: DuckDB over the snapshot counting rows vs distinct sample_ids vs keeping
               one row per id (`DISTINCT ON`), which is what choice (a) asks of every reader;
  * merge    — the alternative (b): the same 20k batch MERGEd (insert when not matched on sample_id).
Run: python bench/delta_write.py [--rows 1000000] [--work /tmp/delta-bench] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

from evalboard.core.location import parse
from evalboard.core.schema import SAMPLES
from evalboard.data import delta_write

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "samples"
BATCH = 20_000


def demo_samples() -> pa.Table:
    return pa.concat_tables(
        [pq.read_table(p).select(SAMPLES.names).cast(SAMPLES) for p in sorted(DEMO.glob("*.parquet"))]
    )


def with_ids(base: pa.Table, start: int, rows: int) -> pa.Table:
    """`rows` rows cycled from `base`, sample ids b<start…>."""
    reps = -(-rows // base.num_rows)
    data = pa.concat_tables([base] * reps).slice(0, rows)
    ids = pa.array([f"b{start + i:09d}" for i in range(rows)], pa.string())
    return data.set_column(data.schema.get_field_index("sample_id"), SAMPLES.field("sample_id"), ids)


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--work", default="/tmp/delta-bench")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    base = demo_samples()
    loc = parse(work / "ds")
    t = time.perf_counter()
    for start in range(0, args.rows, 250_000):
        delta_write.append(loc, "samples", with_ids(base, start, min(250_000, args.rows - start)))
    print(f"built {args.rows:,} rows in {time.perf_counter() - t:.1f} s; load {os.getloadavg()[0]:.1f}")
    fresh = with_ids(base, args.rows + 10_000_000, BATCH)
    present = with_ids(base, args.rows // 2, BATCH)
    lo_hi = lambda ids: {"lo": pc.min(ids).as_py(), "hi": pc.max(ids).as_py()}  # noqa: E731

    def check(batch: pa.Table) -> int:
        keys = batch.select(["sample_id"])
        return len(delta_write.present(loc, "samples", keys, "ingest_present_ids_delta", lo_hi(keys["sample_id"])))

    assert check(fresh) == 0 and check(present) == BATCH
    print(f"check 20k new ids vs {args.rows:,}: {timed(lambda: check(fresh), args.repeat) * 1000:.0f} ms")
    print(f"check 20k present ids vs {args.rows:,}: {timed(lambda: check(present), args.repeat) * 1000:.0f} ms")
    uri = str(work / "ds" / "samples")
    con = duckdb.connect()

    def read(sql: str) -> None:
        con.register("s", DeltaTable(uri).to_pyarrow_dataset())
        con.execute(sql).fetchall()

    for name, sql in (
        ("count(*)", "SELECT count(*) FROM s"),
        ("count(DISTINCT sample_id)", "SELECT count(DISTINCT sample_id) FROM s"),
        ("rate by intervention, all rows", "SELECT intervention, avg(harmful::INT) FROM s GROUP BY 1"),
        (
            "rate by intervention, one row per id (DISTINCT ON)",
            "SELECT intervention, avg(harmful::INT) FROM (SELECT DISTINCT ON (sample_id) intervention, harmful"
            " FROM s ORDER BY sample_id) GROUP BY 1",
        ),
    ):
        print(f"read {name}: {timed(lambda sql=sql: read(sql), args.repeat) * 1000:.0f} ms")
    n = [0]

    def append() -> None:
        n[0] += 1
        delta_write.append(loc, "samples", with_ids(base, args.rows + 20_000_000 + n[0] * BATCH, BATCH))

    print(f"append 20k rows (one commit): {timed(append, args.repeat) * 1000:.0f} ms")

    def merge() -> None:
        n[0] += 1
        batch = with_ids(base, args.rows + 20_000_000 + n[0] * BATCH, BATCH)
        (
            DeltaTable(uri)
            .merge(batch, "t.sample_id = s.sample_id", source_alias="s", target_alias="t")
            .when_not_matched_insert_all()
            .execute()
        )

    print(f"merge 20k rows (insert when not matched): {timed(merge, args.repeat) * 1000:.0f} ms")
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
