"""Where a page's server time goes: cProfile inside the script thread of Streamlit's AppTest, warm runs only.

    python bench/profile_page.py compare                 # top functions by cumulative time, 10 warm runs
    python bench/profile_page.py transcripts --query sample=ID --runs 20 --top 40
    python bench/profile_page.py overview --sections     # time per top-level line of the page and of app.py

AppTest runs the same app.py and page as a server does, without the websocket (no serialising or sending), so
this is the script's own cost: app.py's frame (sidebar, URL binding, store refresh) plus the page. Each run is
a fresh session (as a new tab) after one unmeasured warm-up run that fills the caches. `--sections` sums the
profile by the line of `app.py` or the page file each call came from, the per-section breakdown of a run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import APP, REPO  # noqa: E402

ACTIVE: list[cProfile.Profile] = []  # the profiler of the run being measured, if any


def _profiled_runner() -> None:
    """Profile the script thread while a profiler is active: cProfile only sees the thread that enabled it."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = ScriptRunner._run_script_thread

    def run(self) -> None:
        profiler = ACTIVE[0] if ACTIVE else None
        if profiler is not None:
            profiler.enable()
        try:
            original(self)
        finally:
            if profiler is not None:
                profiler.disable()

    ScriptRunner._run_script_thread = run


def _query(pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out.setdefault(key, []).append(value)
    return out


def sections(stats: pstats.Stats, files: list[Path]) -> list[tuple[str, float]]:
    """Inclusive time of each Streamlit command (`st.dataframe`, …) and of each other function called by the code of
    `files` (app.py and the page), summed over the calls: the per-section breakdown of a run."""
    wanted = {str(f.resolve()) for f in files}
    totals: dict[str, float] = {}
    for (file, line, name), (_cc, _nc, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        for (cfile, _cline, cname), (_ccc, _cnc, _ctt, cct) in callers.items():
            if cname == "wrapped_func" and cfile.endswith("metrics_util.py") and "streamlit" in file:
                key = f"st.{name}"  # a Streamlit command, through its metrics wrapper
            elif cfile in wanted and name != "wrapped_func":
                key = f"{Path(file).parent.name}/{Path(file).name}:{line} {name}"
            else:
                continue
            totals[key] = totals.get(key, 0.0) + cct
    return sorted(totals.items(), key=lambda kv: -kv[1])


def _shared_script_cache() -> None:
    """AppTest compiles the scripts anew for each instance (a fresh ScriptCache); a server compiles them once. Share
    one cache, so the profile holds what a server's warm run does."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    cache = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: cache  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", help="pages/PAGE.py: overview, compare, readiness, transcripts, agreement, data_health")
    parser.add_argument("--query", action="append", default=[], help="KEY=VALUE in the URL (repeatable)")
    parser.add_argument("--runs", type=int, default=10, help="profiled warm runs (default 10)")
    parser.add_argument("--top", type=int, default=30, help="functions to print (default 30)")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    parser.add_argument("--sections", action="store_true", help="time per top-level line of app.py and the page")
    args = parser.parse_args(argv)

    from streamlit.testing.v1 import AppTest

    query = _query(args.query)
    _profiled_runner()
    _shared_script_cache()
    profiler = cProfile.Profile()
    wall = []
    for run in range(args.runs + 1):  # the first is a warm-up: imports, the store, caches
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        if args.page != "overview":  # open the Overview first (AppTest needs one run to know the pages), unmeasured
            at.session_state["_visited"] = True
            at.run()
            at.switch_page(f"pages/{args.page}.py")
        ACTIVE[:] = [profiler] if run else []
        start = time.perf_counter()
        at.run()
        if run:
            wall.append(time.perf_counter() - start)
        ACTIVE.clear()
        if at.exception:
            print("EXCEPTION:", at.exception[0].message, file=sys.stderr)
            return 1
    wall.sort()
    print(f"{args.page}: {args.runs} runs, median {1000 * wall[len(wall) // 2]:.0f} ms per run of the page")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    if args.sections:
        files = [APP, REPO / "pages" / f"{args.page}.py"]
        for where, seconds in sections(stats, files)[: args.top]:
            print(f"{1000 * seconds / args.runs:8.1f} ms  {where}")
        return 0
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
