"""The queries that read a shared rule of queries/macros.sql (the list's order, a chart cell's samples, the
checkpoint grouping, the message type), timed through `Store.run` with the result cache cleared before each run.

    python bench/shared_rules.py [DATA] [--runs 9]     # DATA: bench/out/synthetic-1000000 (bench/synthetic.py)

Run it on the commit before a change to one of these rules and after (`--checkout DIR`: a copy of that commit,
e.g. `git archive COMMIT | tar -x -C DIR`; its code and queries are timed, in a child process) and compare the
medians: the rule moved into a macro must not slow its users. Prints one line per query: median and min in ms.

    python bench/shared_rules.py [DATA] --against DIR/queries

times this tree's queries and those of another queries/ folder (a second store over the same data) in one process,
alternating run by run, so a busy machine slows both alike: per query the two medians and their ratio (this / that).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO / "bench" / "out" / "synthetic-1000000"

VIEW = {"snapshots": [], "interventions": [], "stages": [], "families": [], "graders": [], "source": "primary"}
CELL = VIEW | {
    "step": None, "verdict": "all", "by": None, "by_verdict": "harmful", "believed": None, "awareness_source": None,
    "variable": None, "value": None,
}  # fmt: skip
CELL |= {"cell": {key: CELL[key] for key in CELL}}  # the struct the list queries read (extra keys: not bound)
PAGE = {"limit": 50, "offset": 0}
# name → (query, parameters); "ids" marks the search-hit queries (the first 200,000 sample ids as `search_hits`)
CASES = {
    "list, conditions order": ("samples_in_cell", CELL | PAGE | {"sort": "conditions"}),
    "list, score order, page 100": ("samples_in_cell", CELL | {"sort": "score_desc", "limit": 50, "offset": 4950}),
    "list, one family, harmful": ("samples_in_cell", CELL | PAGE | {"sort": "conditions", "families": ["blackmail"],
                                                                     "verdict": "harmful"}),
    "list, second source": ("samples_in_cell", CELL | PAGE | {"sort": "conditions", "source": "grader:b"}),
    "cell counts": ("cell_counts", CELL),
    "cell counts, one step": ("cell_counts", CELL | {"step": 1000}),
    "search hits, keys (200k ids)": ("samples_matching_ids_keys", CELL | PAGE | {"sort": "conditions", "ids": "many"}),
    "search hits, page (5k ids)": ("samples_matching_ids", CELL | PAGE | {"sort": "conditions", "ids": "few"}),
    "review queue": ("review_queue", VIEW | {"x": "primary", "y": "grader:b", "limit": 200}),
    "compare_cells": ("compare_cells", {"families": [], "graders": [], "source": "primary"}),
    "compare_cells, second source": ("compare_cells", {"families": [], "graders": [], "source": "grader:b"}),
    "compare_options": ("compare_options", {}),
    "readiness_candidates": ("readiness_candidates", {}),
    "readiness_counts": ("readiness_counts", {"source": "primary"}),
    "training_counts": ("training_counts", VIEW),
    "training_counts, second source": ("training_counts", VIEW | {"source": "grader:b"}),
}  # fmt: skip


def against(data: Path, other: Path, runs: int) -> None:
    """This tree's queries against `other` (a queries/ folder), alternating, in one process."""
    import pyarrow as pa

    from evalboard.data.store import Store

    stores = {"this": Store(data), "that": Store(data, queries_dir=other)}
    for store in stores.values():
        store.refresh()
    first = stores["this"]._con.sql("SELECT sample_id FROM samples ORDER BY sample_id LIMIT 200000")
    all_ids = sorted(first.fetchnumpy()["sample_id"])
    hits = {"many": all_ids, "few": all_ids[:5000]}
    for name, (query, params) in CASES.items():
        params = dict(params)
        if "cell" in params:
            params["cell"] = {key: params[key] for key in params["cell"]}
        relations = None
        if "ids" in params:
            found = hits[params.pop("ids")]
            table = pa.table({"sample_id": pa.array(found, pa.string())})
            relations = {"search_hits": (("bench", len(found)), lambda t=table: t)}
            params |= {"lo": found[0], "hi": found[-1], "ids": list(found) if query == "samples_matching_ids" else []}
        times: dict[str, list[float]] = {"this": [], "that": []}
        for i in range(runs + 1):
            for side, store in stores.items():
                store._cache.clear()
                start = time.perf_counter()
                frame = store.run(query, params, relations=relations)
                if i:  # the first run binds and warms the files: not counted
                    times[side].append((time.perf_counter() - start) * 1000)
            assert frame.equals(stores["this"].run(query, params, relations=relations)), name
        this, that = (statistics.median(times[s]) for s in ("this", "that"))
        print(f"{name:34} this {this:8.1f} ms   that {that:8.1f} ms   this/that {this / that:5.2f}", flush=True)


def measure(data: Path, runs: int) -> dict[str, list[float]]:
    """Times per case in this process (the code and queries of the checkout it runs in)."""
    import pyarrow as pa

    from evalboard.data.store import Store

    store = Store(data)
    store.refresh()
    all_ids = sorted(
        store._con.sql("SELECT sample_id FROM samples ORDER BY sample_id LIMIT 200000").fetchnumpy()["sample_id"]
    )
    hits = {"many": all_ids, "few": all_ids[:5000]}
    out: dict[str, list[float]] = {}
    for name, (query, params) in CASES.items():
        params = dict(params)
        if "cell" in params:  # the case's own filters, in the struct too
            params["cell"] = {key: params[key] for key in params["cell"]}
        relations = None
        if "ids" in params:
            found = hits[params.pop("ids")]
            table = pa.table({"sample_id": pa.array(found, pa.string())})
            relations = {"search_hits": (("bench", len(found)), lambda t=table: t)}
            params |= {"lo": found[0], "hi": found[-1], "ids": list(found) if query == "samples_matching_ids" else []}
        times = []
        for _ in range(runs + 1):  # the first run binds and warms the files: not counted
            store._cache.clear()
            start = time.perf_counter()
            store.run(query, params, relations=relations)
            times.append((time.perf_counter() - start) * 1000)
        out[name] = times[1:]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--checkout", type=Path, help="time this copy of the repository instead (a child process)")
    parser.add_argument("--against", type=Path, help="another queries/ folder, timed alternately with this tree's")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.against:
        against(args.data, args.against, args.runs)
        return
    if args.checkout:
        env = dict(os.environ, PYTHONPATH=str(args.checkout))
        command = [sys.executable, __file__, str(args.data.resolve()), "--runs", str(args.runs), "--json"]
        result = subprocess.run(command, env=env, cwd=args.checkout, capture_output=True, text=True, check=True)
        times = json.loads(result.stdout)
    else:
        times = measure(args.data, args.runs)
    if args.json:
        print(json.dumps(times))
        return
    for name, t in times.items():
        print(f"{name:34} median {statistics.median(t):8.1f} ms   min {min(t):8.1f} ms")


if __name__ == "__main__":
    main()
