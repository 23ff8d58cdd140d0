"""Transcripts search through the index (evalboard/data/search.py) against the scan it replaces, same process.

    python bench/search.py                                        # bench/out/synthetic-1000000 (generated if absent)
    python bench/search.py --data bench/out/synthetic-10000000 --scan-runs 1

1. Builds the index from scratch (a copy of nothing: the index lives in DATA/.index/, deleted first unless
   --keep-index) and reports time, size and the build's peak RSS (in this process).
2. Per search text (rare, common, absent, a phrase with punctuation), the first page of the Transcripts
   list as the page asks for it (`samples.sample_page`), result cache cleared each run: through the index,
   and through the scan (queries/samples_matching.sql) for the ratio. Medians.
3. 20 different searches in a row through the index: RSS before and after (target: < 50 MiB growth).

--breakdown (with --keep-index): only where a bounded search's first page goes (the texts matching more than
search.MAX_HITS texts): the SQLite search, cell_counts, the page query, passages, the whole first page
(`sample_page` + `search_bound`), and the page query's first step with the found ids' range widened to every id
(the cost when the found ids do not cluster in sample_id order, so no row group is skipped).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evalboard.core.view import View  # noqa: E402
from evalboard.data import search
from evalboard.data.store import Store  # noqa: E402
from evalboard.screens import transcripts as samples  # noqa: E402

TEXTS = {
    "rare (one sample)": "sample 777777",
    "reasoning phrase (1/6 of samples)": "override code is in the server room",
    "word in every transcript": "kyle",
    "absent": "qzx no such text",
    "punctuation, other case": "THE 5PM WIPE. SAMPLE 12345",
}


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_page(store: Store, text: str, use_index: bool) -> tuple[float, int]:
    store._cache.clear()
    request = samples.ListRequest(View(), query=text)
    start = time.perf_counter()
    if use_index:
        _, total = samples.sample_page(store, request)
        if samples.search_bound(store, request):  # stopped at search.MAX_HITS texts: "more than" them
            total = -search.MAX_HITS
    else:
        params = request.params() | {"limit": samples.PAGE_SIZE, "offset": 0, "q": text}
        frame = store.run("samples_matching", params)
        total = int(frame.get_column("total")[0]) if frame.height else 0
    return time.perf_counter() - start, total


def _ms(f: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = f()
    return 1000 * (time.perf_counter() - start), out


def breakdown_run(store: Store, text: str) -> dict[str, float]:
    """One run of the breakdown of a search's first page, result caches cleared: part → ms."""
    index = search.index_for(store)
    index._hits.clear()
    store._cache.clear()
    parts = {}
    parts["SQLite search"], hits = _ms(lambda: index.search(text))
    request = samples.ListRequest(View(), query=text)
    parts["cell_counts"] = _ms(lambda: samples.cell_counts(store, request))[0]
    params = request.params() | {"limit": samples.PAGE_SIZE, "offset": 0}
    parts[f"page query ({hits.ids.num_rows:,} ids)"], frame = _ms(
        lambda: samples._found_page(store, params, hits, text)
    )
    page_ids = frame.get_column("sample_id").to_list()
    parts["passages"] = _ms(lambda: index.passages(text, hits, page_ids))[0]
    store._cache.clear()
    index._hits.clear()
    parts["whole first page"] = _ms(
        lambda: (samples.sample_page(store, request), samples.search_bound(store, request))
    )[0]
    store._cache.clear()
    wide = params | {"lo": "", "hi": "\U0010ffff"}
    found = {"search_hits": (("wide", text), lambda: hits.ids)}
    parts["  step 1, range widened"] = _ms(lambda: store.run("samples_matching_ids_keys", wide, relations=found))[0]
    return parts


def breakdown(store: Store, runs: int) -> None:
    assert search.index_for(store).ensure(background=False), search.index_for(store).problem
    for text in ("override code is in the server room", "kyle"):
        parts: dict[str, list[float]] = {}
        for _ in range(runs):
            for part, took in breakdown_run(store, text).items():
                parts.setdefault(part, []).append(took)
        print(f"`{text}` (bounded: {search.index_for(store).search(text).complete is False})")
        for part, times in parts.items():
            print(f"  {part:28s} {statistics.median(times):7.0f} ms   {[round(t) for t in times]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent / "out" / "synthetic-1000000")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per text through the index (median)")
    parser.add_argument("--scan-runs", type=int, default=3, help="timed runs per text through the scan")
    parser.add_argument("--keep-index", action="store_true", help="reuse an existing index")
    parser.add_argument("--breakdown", action="store_true", help="only the bounded searches' breakdown")
    args = parser.parse_args(argv)
    if args.breakdown:
        store = Store(args.data)
        store.refresh()
        breakdown(store, args.runs)
        return 0
    if not args.data.is_dir():
        from synthetic import generate  # noqa: PLC0415

        generate(args.data, 1_000_000)
    store = Store(args.data)
    store.refresh()
    index = search.index_for(store)
    if not args.keep_index:
        shutil.rmtree(args.data / search.INDEX_DIR, ignore_errors=True)
    rss0 = rss_mib()
    start = time.perf_counter()
    assert index.update(), index.problem
    build = time.perf_counter() - start
    size = sum(p.stat().st_size for p in (args.data / search.INDEX_DIR).iterdir())
    parquet = sum(p.stat().st_size for p in args.data.rglob("*.parquet"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    docs = sum(1 for _ in store.good_files("transcripts"))
    print(f"dataset {args.data} ({parquet / 2**20:.0f} MiB Parquet, {docs} transcripts files)")
    print(f"index build: {build:.1f} s, {size / 2**20:.0f} MiB on disk; RSS {rss0:.0f} → peak {peak:.0f} MiB\n")

    print("| search | matches | index ms (first page) | scan ms | scan / index |")
    print("|---|---:|---:|---:|---:|")
    for label, text in TEXTS.items():
        index._hits.clear()
        timed, totals = [], set()
        scans = []
        for _ in range(max(args.runs, args.scan_runs)):  # interleaved
            if len(timed) < args.runs:
                index._hits.clear()
                seconds, total = first_page(store, text, True)
                timed.append(seconds)
                totals.add(total)
            if len(scans) < args.scan_runs:
                seconds, total = first_page(store, text, False)
                scans.append(seconds)
                totals.add(total)
        bounded = {t for t in totals if t < 0}
        assert len(totals - bounded) == 1 and len(bounded) <= 1, f"index and scan disagree on {text!r}: {totals}"
        idx, scan = statistics.median(timed), statistics.median(scans)
        total = f"{max(totals):,}" + (f" (index: > {search.MAX_HITS:,} texts, bounded)" if bounded else "")
        print(f"| {label}: `{text}` | {total} | {1000 * idx:.0f} | {1000 * scan:.0f} | {scan / idx:.0f}x |")

    store._cache.clear()
    before = rss_mib()
    times = []
    for i in range(20):
        start = time.perf_counter()
        # "Sample 100000" … : each finds a few samples (ids are not zero-padded in the synthetic transcripts)
        samples.sample_page(store, samples.ListRequest(View(), query=f"sample {100_000 + i * 7919}"))
        times.append(time.perf_counter() - start)
    after = rss_mib()
    print(
        f"\n20 different searches: median {1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms; "
        f"RSS {before:.0f} → {after:.0f} MiB ({after - before:+.0f} MiB)"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
