"""Benchmark the Overview's queries (bench/README.md) as ratios against baselines run in the same process.

    python bench/queries.py                        # 1,000,000 samples, generated into bench/out/
    python bench/queries.py --samples 10000000     # the 10M-sample size the aggregates are judged at
    python bench/queries.py --samples 10000000 --reuse   # keep an existing dataset

For each Overview query (`rate_by_intervention`, `rate_by_stage`, `rate_by_family`, `filter_options`),
over the whole dataset and over a filtered view (one snapshot + two families), it prints:
the store's time (`Store.run`, result cache cleared before each run: median of --runs), the store's
warm-cache time, the same GROUP BY hand-written over `read_parquet(files)` with literal filters (the
baseline the ≤ 1.5x target is measured against), a bare count scan of the same columns, and pandas
`read_parquet(columns=…)` + groupby (in a child process, so its memory stays out of the RSS figures).
Then `Store.refresh()` cold (fresh Store: every file validated) and warm (nothing changed), and peak
RSS: of a child that only runs the store, and of this whole process. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from evalboard.core.view import View  # noqa: E402
from evalboard.data.store import Store  # noqa: E402
from evalboard.screens import transcripts as samples  # noqa: E402

QUERIES = ("rate_by_intervention", "rate_by_stage", "rate_by_family", "filter_options")
FILTERED = View(snapshots=(synthetic.SNAPSHOTS[3],), families=("blackmail", "leaking"))
VIEWS = {"all": View(), "filtered": FILTERED}

# The same questions written by hand over the files: the keys, aggregates and filter of each query,
# without the store's view (union_by_name, NULL fill) or the view_samples macro.
BASELINE = {
    "rate_by_intervention": (
        "SELECT intervention, count(harmful) AS n, count(*) FILTER (WHERE harmful) AS k, "
        "count(*) - count(harmful) AS ungraded FROM {src} {where} GROUP BY intervention ORDER BY intervention"
    ),
    "rate_by_stage": (
        "SELECT intervention, training_stage, stage_step, "
        "CASE training_stage WHEN 'pretrained' THEN 0 WHEN 'sft' THEN 1 WHEN 'rl' THEN 2 ELSE 3 END AS stage_rank, "
        "count(harmful) AS n, count(*) FILTER (WHERE harmful) AS k FROM {src} {where} "
        "GROUP BY intervention, training_stage, stage_step "
        "ORDER BY stage_rank, stage_step, training_stage, intervention"
    ),
    "rate_by_family": (
        "SELECT scenario_family, intervention, count(harmful) AS n, count(*) FILTER (WHERE harmful) AS k "
        "FROM {src} {where} GROUP BY scenario_family, intervention ORDER BY scenario_family, intervention"
    ),
    "filter_options": None,  # filled below from the query file itself, with `samples` → read_parquet
}
COLUMNS = {
    "rate_by_intervention": ["intervention", "harmful"],
    "rate_by_stage": ["intervention", "training_stage", "stage_step", "harmful"],
    "rate_by_family": ["scenario_family", "intervention", "harmful"],
    "filter_options": ["snapshot", "created_at", "intervention", "training_stage", "scenario_family", "grader"],
}
FILTER_COLUMNS = {
    "snapshots": "snapshot",
    "interventions": "intervention",
    "stages": "training_stage",
    "families": "scenario_family",
    "graders": "grader",
}

PANDAS = textwrap.dedent(
    """
    import json, resource, statistics, sys, time
    import pandas as pd
    folder, spec = sys.argv[1], json.loads(sys.argv[2])
    FILTER_COLUMNS = spec["filter_columns"]

    def run(query, cols, params):
        need = list(dict.fromkeys(cols + [FILTER_COLUMNS[p] for p, v in params.items() if v]))
        df = pd.read_parquet(folder, columns=need)
        for p, values in params.items():
            if values:
                df = df[df[FILTER_COLUMNS[p]].isin(values)]
        if query == "filter_options":
            return (df.groupby("snapshot")["created_at"].max(), df["intervention"].unique(),
                    df["training_stage"].unique(), df["scenario_family"].unique(), df["grader"].dropna().unique())
        keys = {"rate_by_intervention": ["intervention"],
                "rate_by_stage": ["intervention", "training_stage", "stage_step"],
                "rate_by_family": ["scenario_family", "intervention"]}[query]
        h = df["harmful"]
        df = df.assign(n=h.notna(), k=h.eq(True).fillna(False).astype(bool))
        return df.groupby(keys).agg(n=("n", "sum"), k=("k", "sum"), rows=("n", "size"))

    out = {}
    for case in spec["cases"]:
        times = []
        for _ in range(spec["runs"]):
            t0 = time.perf_counter()
            run(case["query"], case["columns"], case["params"])
            times.append(time.perf_counter() - t0)
        out[case["label"]] = statistics.median(times)
    out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))
    """
)

STORE_ONLY = textwrap.dedent(
    """
    import json, resource, sys
    sys.path.insert(0, sys.argv[3])
    from pathlib import Path
    from evalboard.data.store import QUERIES_DIR, Store
    store = Store(sys.argv[1], Path(sys.argv[4]) if len(sys.argv) > 4 else QUERIES_DIR)
    store.refresh()
    for name, params in json.loads(sys.argv[2]):
        store._cache.clear()
        store.run(name, params)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def literal_list(values: list[str]) -> str:
    """Our own constant values as a SQL list (the benchmark's views, never user input)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def where_clause(params: dict[str, list[str]]) -> str:
    conds = [f"{FILTER_COLUMNS[p]} IN {literal_list(v)}" for p, v in params.items() if v and p in FILTER_COLUMNS]
    return ("WHERE " + " AND ".join(conds)) if conds else ""


def query_params(name: str, view: View) -> dict[str, list[str]]:
    return {} if name == "filter_options" else view.params()


def ensure_dataset(samples: int, out: Path, reuse: bool, transcripts: bool) -> Path:
    """Generate the dataset in a child process (its memory stays out of our RSS), unless reusable."""
    if reuse and (out / "samples").is_dir():
        rows = duckdb.execute(
            f"SELECT sum(num_rows) FROM parquet_file_metadata('{out / 'samples' / '*.parquet'}')"
        ).fetchone()[0]
        if rows == samples:
            print(f"reusing {out} ({samples:,} samples)")
            return out
        print(f"{out} holds {rows:,} samples, not {samples:,}: regenerating")
    cmd = [sys.executable, str(Path(synthetic.__file__)), "--samples", str(samples), "--out", str(out)]
    if not transcripts:
        cmd.append("--no-transcripts")
    subprocess.run(cmd, check=True)
    return out


def same_rows(a, b) -> bool:  # noqa: ANN001 - a polars frame and a list of tuples
    return sorted(map(tuple, a.rows())) == sorted(map(tuple, b))


def transcript_lookup(root: Path, runs: int) -> tuple[float, float] | None:
    """One transcript by id: the app's path (evalboard.screens.transcripts.transcript, warm store) and bare DuckDB."""
    files = sorted((root / "transcripts").glob("*.parquet"))
    if not files:
        return None
    con = duckdb.connect(":memory:")
    src = "read_parquet([" + ", ".join(f"'{p}'" for p in files) + "])"
    ids = [r[0] for r in con.execute(f"SELECT sample_id FROM {src} USING SAMPLE 7 ROWS").fetchall()]

    pending = iter(ids * (runs + 1))  # a different id each run, so no run reads what the last one cached

    def fetch() -> None:
        con.execute(f"SELECT messages FROM {src} WHERE sample_id = $id", {"id": next(pending)}).fetchall()

    store = Store(root)
    store.refresh()
    ours = iter(ids * (runs + 1))

    def fetch_ours() -> None:
        assert samples.transcript(store, next(ours)) is not None

    return median_time(fetch_ours, runs), median_time(fetch, runs)


SCAN_QUERIES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "scan_queries"
# The aggregate queries of Overview, Compare, Readiness and the sidebar, as the pages call them.
PAGE_AGGREGATES = {
    "sidebar": [("filter_options", lambda v: {})],
    "Overview": [(q, lambda v: v.params()) for q in ("rate_by_intervention", "rate_by_stage", "rate_by_family")],
    "Compare": [
        ("compare_options", lambda v: {}),
        ("compare_cells", lambda v: {k: v.params()[k] for k in ("families", "graders", "source")}),
    ],
    "Readiness": [
        ("readiness_candidates", lambda v: {}),
        ("readiness_counts", lambda v: {"source": v.params()["source"]}),
    ],
    "Data health": [("dataset_totals", lambda v: {})],
}


def aggregates(root: Path, runs: int) -> int:
    """Each page's aggregate queries uncached: per-file rollups (today) vs the scan (tests/fixtures/scan_queries),
    interleaved run by run; plus what a fresh store pays once (validation, duplicate-id check, rollup build)."""
    import shutil
    import tempfile

    from evalboard.core.paths import QUERIES_DIR
    from evalboard.data.store import ROLLUP_DIR

    scan_dir = Path(tempfile.mkdtemp(prefix="scan-queries-"))
    shutil.copytree(QUERIES_DIR, scan_dir, dirs_exist_ok=True)
    for sql in SCAN_QUERIES.glob("*.sql"):
        shutil.copy(sql, scan_dir / sql.name)
    shutil.rmtree(root / ROLLUP_DIR, ignore_errors=True)
    t0 = time.perf_counter()
    rolled = Store(root)
    rolled.refresh()
    first = time.perf_counter() - t0
    fresh = median_time(lambda: Store(root).refresh(), runs)  # rollups and duplicate check read from .index
    plain = median_time(lambda: Store(root, rollups=False).refresh(), runs)
    scan = Store(root, queries_dir=scan_dir, rollups=False)
    scan.refresh()
    n = sum(t.num_rows for t in rolled._rollups.values())
    print(
        f"fresh Store: first ever {first * 1000:.0f} ms (validate + duplicate ids + build rollups, {n:,} rollup rows); "
        f"again {fresh * 1000:.0f} ms (from {ROLLUP_DIR}); without rollups {plain * 1000:.0f} ms"
    )
    print(f"{'page [view]':<24} {'rollups ms':>10} {'scan ms':>9} {'scan/rollups':>12}")
    for page, calls in PAGE_AGGREGATES.items():
        for label, view in VIEWS.items():
            if label == "filtered" and page in ("sidebar", "Data health", "Readiness"):
                continue
            times = {"rollups": [], "scan": []}
            for _ in range(runs):
                for kind, store in (("rollups", rolled), ("scan", scan)):
                    store._cache.clear()
                    t0 = time.perf_counter()
                    frames = [store.run(q, params(view)) for q, params in calls]
                    times[kind].append(time.perf_counter() - t0)
                    if kind == "rollups":
                        got = frames
                    elif not all(a.equals(b) for a, b in zip(got, frames, strict=True)):
                        print(f"WARNING: {page} [{label}] differs between rollups and scan", file=sys.stderr)
            r, c = statistics.median(times["rollups"]), statistics.median(times["scan"])
            print(f"{page + ' [' + label + ']':<24} {fmt_ms(r):>10} {fmt_ms(c):>9} {c / r:12.1f}")
    shutil.rmtree(scan_dir, ignore_errors=True)
    return 0


def duplicate_check(root: Path, runs: int) -> int:
    """The repeated-sample-id check (docs/ARCHITECTURE.md, "Each sample id counts once"): from the files as every
    change of the samples files cost before (all ids hashed and sorted, then DuckDB ranks the rows of repeated
    hashes), from nothing saved, and incrementally after a file of new ids is added, a file of repeated ids is
    added, and a file is removed. Extra files are written as samples/zz-*.parquet and removed afterwards."""
    import numpy as np
    import pyarrow as pa

    from evalboard.data.store import ROLLUP_DIR, _duplicates_sql, _id_hashes

    def saved(pattern: str) -> None:
        for path in (root / ROLLUP_DIR).glob(pattern):
            path.unlink()

    def keys(store: Store) -> tuple:
        store.refresh()
        return tuple(store.good_files("samples"))

    store = Store(root)
    base = keys(store)
    files = [p for p, *_ in base]
    sets = {frozenset(c.columns) for c in [store._validated[k] for k in base]}

    def before() -> None:  # the check as it was: every file's ids hashed, sorted; DuckDB ranks repeated hashes
        hashes = np.sort(np.concatenate([_id_hashes(store._con, p) for p in files]))
        repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        store._con.register("_hash_arrow", pa.table({"h": repeated}))
        store._con.execute("CREATE OR REPLACE TABLE _duplicate_hashes AS SELECT h FROM _hash_arrow")
        store._con.unregister("_hash_arrow")
        store._con.execute(_duplicates_sql(files, sets))

    def from_nothing() -> None:
        saved("ids-*.npy")
        saved("repeated-ids.npz")
        store._repeats = None
        store._repeated_hashes(base)

    def from_saved_hashes() -> None:  # a new process after another one checked a different set of files
        saved("repeated-ids.npz")
        store._repeats = None
        store._repeated_hashes(base)

    print(f"repeated-id check, {len(files)} samples files ({sum(_rows(p) for p in files):,} ids); median of {runs}")
    print(f"  before (every id, every change):       {fmt_ms(median_time(before, runs))} ms")
    print(f"  now, nothing saved (first ever):       {fmt_ms(median_time(from_nothing, runs))} ms")
    print(f"  now, per-file hashes saved, no result: {fmt_ms(median_time(from_saved_hashes, runs))} ms")
    source = files[0]
    rows = _rows(source)
    for label, sql in (
        ("a file of new ids added", "SELECT * REPLACE ('zz-' || sample_id AS sample_id) FROM read_parquet($p)"),
        ("a file repeating ids added", "SELECT * FROM read_parquet($p)"),
    ):
        extra = root / "samples" / "zz-extra.parquet"
        duckdb.execute(f"COPY ({sql}) TO '{extra}' (FORMAT parquet, COMPRESSION zstd)", {"p": str(source)})
        grown = keys(store)
        store._repeated_hashes(base)  # the state before the file came

        new_hashes = store._hashes_path(*next(k for k in grown if k[0] == extra))

        def incremental(grown: tuple = grown, new_hashes: Path = new_hashes) -> None:
            store._repeats = (frozenset(store._key_name(*k) for k in base), np.empty(0, np.uint64))
            new_hashes.unlink(missing_ok=True)  # the new file's ids are read from Parquet each run
            store._repeated_hashes(grown)

        found = store._repeated_hashes(grown).size
        print(f"  now, {label} ({rows:,} rows, {found:,} repeated hashes): {fmt_ms(median_time(incremental, runs))} ms")
        extra.unlink()
    store._repeated_hashes(base)
    removed = base[1:]

    def after_removal() -> None:
        store._repeats = (frozenset(store._key_name(*k) for k in base), np.empty(0, np.uint64))
        store._repeated_hashes(removed)

    print(f"  now, a file removed:                   {fmt_ms(median_time(after_removal, runs))} ms")
    store._repeated_hashes(base)
    return 0


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="dataset folder (default bench/out/synthetic-N/)")
    parser.add_argument("--reuse", action="store_true", help="reuse the dataset folder if it holds N samples")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median; default 5)")
    parser.add_argument("--pandas-runs", type=int, default=3, help="timed pandas runs per query (default 3)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--queries-dir", type=Path, help="run the store over another queries/ folder (experiments)")
    parser.add_argument(
        "--aggregates",
        action="store_true",
        help="only: each page's aggregate queries, rollups vs scan, and the store's one-off costs",
    )
    parser.add_argument("--duplicates", action="store_true", help="only: the repeated-sample-id check, before vs now")
    args = parser.parse_args(argv)

    root = ensure_dataset(args.samples, args.out or synthetic.default_out(args.samples), args.reuse, True)
    if args.aggregates:
        print(
            f"duckdb {duckdb.__version__}, load {os.getloadavg()[0]:.1f}; {args.samples:,} samples; "
            f"median of {args.runs}"
        )
        return aggregates(root, args.runs)
    if args.duplicates:
        print(f"duckdb {duckdb.__version__}, load {os.getloadavg()[0]:.1f}; {args.samples:,} samples")
        return duplicate_check(root, args.runs)
    files = sorted((root / "samples").glob("*.parquet"))
    src = "read_parquet([" + ", ".join(f"'{p}'" for p in files) + "])"
    store_kwargs = {"queries_dir": args.queries_dir} if args.queries_dir else {}
    # The pre-rollup filter_options (a scan of samples), with `samples` → read_parquet.
    BASELINE["filter_options"] = (
        (SCAN_QUERIES / "filter_options.sql").read_text().replace("FROM samples", "FROM {src} {where}")
    )
    cases = [(name, label) for name in QUERIES for label in (("all",) if name == "filter_options" else VIEWS)]

    print(
        f"duckdb {duckdb.__version__}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{args.samples:,} samples in {len(files)} files "
        f"({sum(p.stat().st_size for p in files) / 2**20:.0f} MiB); median of {args.runs} runs"
    )

    # refresh(): cold = a fresh Store validating every file (OS cache warm); warm = nothing changed.
    refresh_cold = median_time(lambda: Store(root, **store_kwargs).refresh(), args.runs)
    store = Store(root, **store_kwargs)
    store.refresh()
    refresh_warm = median_time(store.refresh, args.runs)

    bare = duckdb.connect(":memory:")
    # filter_options' own SQL orders stages with the scalar stage_rank macro: define it (not the table macros).
    bare.execute(
        "CREATE MACRO stage_rank(stage) AS CASE stage WHEN 'pretrained' THEN 0 WHEN 'sft' THEN 1 WHEN 'rl' THEN 2 "
        "ELSE 3 END"
    )
    rows = []
    for name, label in cases:
        params = query_params(name, VIEWS[label])
        where = where_clause(params)
        group_sql = BASELINE[name].format(src=src, where=where)
        scan_sql = f"SELECT count(*), {', '.join(f'count({c})' for c in COLUMNS[name])} FROM {src} {where}"

        def uncached(name=name, params=params):
            store._cache.clear()
            return store.run(name, params)

        result = uncached()
        expected = bare.execute(group_sql).fetchall()
        if not same_rows(result, expected):
            print(f"WARNING: {name} [{label}] differs from its baseline", file=sys.stderr)
        # Interleave store and baselines run by run, so load from other processes hits both alike.
        t_store, t_group, t_scan, c_store, c_group = [], [], [], [], []
        for _ in range(args.runs):
            for fn, walls, cpus in (
                (uncached, t_store, c_store),
                (lambda sql=group_sql: bare.execute(sql).fetchall(), t_group, c_group),
                (lambda sql=scan_sql: bare.execute(sql).fetchall(), t_scan, []),
            ):
                c0, t0 = time.process_time(), time.perf_counter()
                fn()
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
        t_cached = median_time(lambda name=name, params=params: store.run(name, params), args.runs)
        rows.append(
            {
                "label": f"{name} [{label}]",
                "query": name,
                "params": params,
                "store": statistics.median(t_store),
                "cached": t_cached,
                "group": statistics.median(t_group),
                "scan": statistics.median(t_scan),
                "cpu_ratio": statistics.median(c_store) / statistics.median(c_group),
            }
        )
    lookup = transcript_lookup(root, args.runs)
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    store_rss = int(
        subprocess.run(
            [sys.executable, "-c", STORE_ONLY, str(root), json.dumps([(r["query"], r["params"]) for r in rows]),
             str(Path(__file__).resolve().parent.parent), *([str(args.queries_dir)] if args.queries_dir else [])],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip

    pandas: dict[str, float] = {}
    if not args.no_pandas:
        spec = {
            "runs": args.pandas_runs,
            "filter_columns": FILTER_COLUMNS,
            "cases": [
                {"label": r["label"], "query": r["query"], "columns": COLUMNS[r["query"]], "params": r["params"]}
                for r in rows
            ],
        }
        done = subprocess.run(
            [sys.executable, "-c", PANDAS, str(root / "samples"), json.dumps(spec)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        pandas = json.loads(done.stdout)

    header = (
        f"{'query [view]':<32} {'store ms':>8} {'cached':>8} {'groupby':>8} {'x grp':>6} {'cpu x':>6} "
        f"{'scan':>8} {'x scan':>6} {'pandas':>8} {'pd/store':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        pd_time = pandas.get(r["label"])
        print(
            f"{r['label']:<32} {fmt_ms(r['store'])} {fmt_ms(r['cached'])} {fmt_ms(r['group'])} "
            f"{r['store'] / r['group']:6.2f} {r['cpu_ratio']:6.2f} {fmt_ms(r['scan'])} {r['store'] / r['scan']:6.2f} "
            + (f"{fmt_ms(pd_time)} {pd_time / r['store']:8.1f}" if pd_time else f"{'-':>8} {'-':>8}")
        )
    print("-" * len(header))
    print("x grp = store / groupby (wall); cpu x = the same on process CPU time, steadier when load > cores")
    print(
        f"refresh(): cold {refresh_cold * 1000:.1f} ms (fresh Store, {len(files)} files), "
        f"warm {refresh_warm * 1000:.2f} ms"
    )
    if lookup is not None:
        print(
            f"one transcript by id: app {lookup[0] * 1000:.1f} ms (target < 50 ms); "
            f"bare DuckDB over transcripts/ {lookup[1] * 1000:.1f} ms"
        )
    print(
        f"peak RSS: store alone {store_rss / 1024:.0f} MiB; this process (store + baselines) {main_rss / 1024:.0f} MiB"
        + (f"; pandas child {pandas['maxrss_kib'] / 1024:.0f} MiB" if pandas else "")
    )
    worst = max(r["store"] / r["group"] for r in rows)
    worst_cpu = max(r["cpu_ratio"] for r in rows)
    slowest_pd = min((pandas[r["label"]] / r["store"] for r in rows), default=None) if pandas else None
    print(
        f"targets: ≤ 1.5x groupby baseline: {'met' if worst <= 1.5 else 'MISSED'} "
        f"(worst {worst:.2f}x wall, {worst_cpu:.2f}x cpu; load now {os.getloadavg()[0]:.1f})"
        + (
            f"; ≥ 5x faster than pandas: {'met' if slowest_pd >= 5 else 'MISSED'} (least {slowest_pd:.1f}x)"
            if pandas
            else ""
        )
        + f"; RSS < 1 GiB: {'met' if max(store_rss, main_rss) < 2**20 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
