"""What reading every file's data pages costs (evalboard/data/data_checks.py; docs/ARCHITECTURE.md, "Damaged files").

    python bench/data_checks.py --data /tmp/ds10m        # a dataset from bench/synthetic.py

Per table: the first check (every row group of every file decoded), then a new process's check (the result read
from DATA/.index/data-checks.json). Then a fresh Store's first refresh with and without saved checks, each in a
child process so no cache is shared. The dataset's saved checks are restored to what they were at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalboard.data.data_checks import CHECKS_FILE, DataChecks  # noqa: E402

REFRESH = """
import sys, time
from evalboard.data.store import Store
t = time.perf_counter()
health = Store(sys.argv[1]).refresh()
print(f"{time.perf_counter() - t:.2f} {len(health.rejected)}")
"""


def files(root: Path, table: str) -> list[tuple[Path, int, int]]:
    out = []
    for path in sorted((root / table).rglob("*.parquet")):
        st = path.stat()
        out.append((path, st.st_mtime_ns, st.st_size))
    return out


def refresh_in_child(root: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run([sys.executable, "-c", REFRESH, str(root)], capture_output=True, text=True, env=env)
    seconds, rejected = done.stdout.split()
    return f"{float(seconds):.2f} s ({rejected} rejected)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    root = args.data
    saved = root / CHECKS_FILE
    backup = Path(tempfile.mkdtemp()) / "data-checks.json"
    if saved.exists():
        shutil.copy2(saved, backup)
    try:
        print(f"dataset {root}, load average {os.getloadavg()[0]:.1f}")
        for table in ("samples", "transcripts"):
            found = files(root, table)
            mib = sum(size for *_, size in found) / 2**20
            saved.unlink(missing_ok=True)
            t = time.perf_counter()
            problems = DataChecks(root).problems(found)
            first = time.perf_counter() - t
            t = time.perf_counter()
            DataChecks(root).problems(found)
            again = time.perf_counter() - t
            bad = sum(p is not None for p in problems.values())
            print(
                f"{table}: {len(found)} files, {mib:.0f} MiB: first check {first:.2f} s ({mib / first:.0f} MiB/s), "
                f"saved result {1000 * again:.1f} ms, damaged {bad}"
            )
        saved.unlink(missing_ok=True)
        print(f"fresh Store refresh, nothing saved for the data pages: {refresh_in_child(root)}")
        print(f"fresh Store refresh, data-page checks saved:          {refresh_in_child(root)}")
    finally:
        if backup.exists():
            shutil.copy2(backup, saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
