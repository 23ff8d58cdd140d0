"""Server-side cost of the Drivers page and of the Overview's trend and held-out sentences (issue 28).

    python bench/drivers.py                                   # the embedded demo data
    python bench/drivers.py bench/out/synthetic-1000000       # a synthetic dataset (bench/synthetic.py)

Per view (everything; one snapshot) and per part: the queries uncached (driver_counts: one scan for every scenario
variable at once, grouped first by checkpoint × scenario × conditions; training_counts: per-file rollups)
and the statistics over their frames (ranking, gains at every value, trends, held-out gains). Medians of 5 runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evalboard.core.view import View  # noqa: E402
from evalboard.data.store import Store  # noqa: E402
from evalboard.screens import drivers, trends  # noqa: E402

RUNS = 5


def median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def measure(store: Store, label: str, view: View, held_out: list[str]) -> None:
    """Print each part's median time for one view."""

    def uncached(name: str):
        store._cache.clear()
        return store.run(name, view.params())

    counts, training = (uncached(q) for q in ("driver_counts", "training_counts"))
    top = drivers.rank(counts).variables[0]
    parts = {
        "query driver_counts": lambda: uncached("driver_counts"),
        "query training_counts": lambda: uncached("training_counts"),
        "rank (with the pairs of variables)": lambda: drivers.rank(counts),
        "gains + heatmap frame (top variable)": lambda: (drivers.gains(counts, top), drivers.heat_frame(counts, top)),
        "trends through RL": lambda: trends.trends(training),
        "held-out gains": lambda: trends.held_out_gains(training, held_out),
    }
    for part, fn in parts.items():
        print(f"{label:<8} {part:<38} {median_ms(fn):8.1f}")
    print(f"{label:<8} {'rows: counts / training':<38} {counts.height:,} / {training.height:,}")


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data" / "demo"
    store = Store(root)
    health = store.refresh()
    options = store.run("filter_options")
    newest = options.filter(options["dimension"] == "snapshot").get_column("value").to_list()[-1]
    print(f"{root}: {store.run('dataset_totals').row(0, named=True)['samples']:,} samples")
    print(f"{'view':<8} {'part':<38} {'ms':>8}")
    for label, view in (("all", View()), ("newest", View(snapshots=(newest,)))):
        measure(store, label, view, list(health.manifest.held_out_families))


if __name__ == "__main__":
    main()
