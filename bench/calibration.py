"""What reading the calibration sample costs at scale: `calibration.load` (the drawn transcripts' verdicts through
`imported_latest(ids)`, filtered before its window) against the same verdicts through `latest_verdicts` joined to the
draw (which ranks every verdict of the dataset first), and against the Overview's `rate_by_intervention` under a
second source, in the same process on the same files.

    python bench/calibration.py                       # 1M samples, two verdict sources each (generated once)
    python bench/calibration.py --samples 10000000 --reuse
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import DEFAULT_OUT, generate  # noqa: E402
from evalboard.core.view import View  # noqa: E402
from evalboard.data import reviews
from evalboard.data.store import Store  # noqa: E402
from evalboard.screens import calibration  # noqa: E402

JOINED = """
SELECT d.sample_id, v.source, v.harmful
FROM (SELECT sample_id FROM calibration) AS d
JOIN latest_verdicts AS v USING (sample_id)
WHERE v.source <> 'human'
"""


def prepare(out: Path, samples: int) -> None:
    generate(out, samples, transcripts=False)
    (out / "verdicts").mkdir()
    con = duckdb.connect()
    for k, part in enumerate(sorted((out / "samples").glob("*.parquet"))):
        con.execute(
            f"""COPY (SELECT p.sample_id, s.name AS source, (hash(p.sample_id || s.name) % 10 = 0) AS harmful,
                       NULL::DOUBLE AS score, NULL::VARCHAR AS explanation, s.name AS grader,
                       TIMESTAMPTZ '2026-01-01 00:00:00+00' AS created_at
                FROM read_parquet('{part}') AS p, (VALUES ('grader:b'), ('classifier_raw')) AS s(name))
               TO '{out / "verdicts" / f"part-{k:04d}.parquet"}' (FORMAT parquet, COMPRESSION zstd)"""
        )
    store = Store(out)
    calibration.draw(store, View(), 40, seed=1, now=datetime(2026, 1, 2, tzinfo=UTC), draw_id="bench")
    for j, sid in enumerate(calibration.load(store).items["sample_id"].to_list()):
        reviews.write(out, reviews.Review(sid, "bench", "harmful" if j % 3 else "not_harmful", queue="calibration"))


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/calibration-N/")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    out = DEFAULT_OUT / f"calibration-{args.samples}"
    if not (args.reuse and out.exists()):
        prepare(out, args.samples)
    store = Store(out)
    store.run("verdict_sources")  # views built, files checked
    ids = calibration.load(store).items.get_column("sample_id").to_list()
    con = store._con  # noqa: SLF001 (the store's own connection: the same views and macros)
    load = timed(lambda: calibration.load(Store(out, rollups=False)), args.runs)
    warm = timed(lambda: calibration.load(store), args.runs)
    filtered = timed(lambda: con.execute("SELECT * FROM imported_latest($ids)", {"ids": ids}).fetchall(), args.runs)
    joined = timed(lambda: con.execute(JOINED).fetchall(), args.runs)
    overview = timed(
        lambda: con.execute(
            "SELECT intervention, count(harmful) FROM view_samples([], [], [], [], [], 'grader:b') GROUP BY ALL"
        ).fetchall(),
        args.runs,
    )
    print(f"{args.samples:,} samples, {len(ids)} drawn; median of {args.runs} runs")
    print(f"  calibration.load (new store each run)      {load * 1000:8.0f} ms")
    print(f"  calibration.load (warm store: cached)      {warm * 1000:8.0f} ms")
    print(f"  drawn verdicts, filtered before the window {filtered * 1000:8.0f} ms")
    print(f"  drawn verdicts, latest_verdicts joined     {joined * 1000:8.0f} ms  ({joined / filtered:.1f}x)")
    print(f"  Overview by intervention under grader:b    {overview * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
