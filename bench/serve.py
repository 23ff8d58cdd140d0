"""Serve a Streamlit script on a free loopback port for the benchmarks (bench/browser.py, pages.py, load.py)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from a checkout: the served-app harness is shared with tests/
from tests.harness import AppServer  # noqa: E402

# A bench stopped with SIGTERM still runs its `finally` blocks, so the servers it started stop with it.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


@dataclass(frozen=True)
class Server:
    url: str  # base URL without a trailing slash
    pid: int

    def rss_mib(self) -> float:
        """Resident memory of the server process now (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(
    script: Path, data: Path | None = None, timeout: float = 120, env: dict | None = None, checkout: Path = REPO
) -> Iterator[Server]:
    """`streamlit run script` exactly as the README runs it (tests/harness.py's AppServer: the checkout's
    .streamlit/config.toml, only the port chosen), with EVALBOARD_DATA=data; stopped on exit. `checkout` is the
    repository the app is imported from and run in (another one to measure a version before a change)."""
    environ = dict(os.environ) | (env or {})
    environ["PYTHONPATH"] = str(checkout) + os.pathsep + environ.get("PYTHONPATH", "")
    try:
        server = AppServer(script, data, env=environ, timeout=timeout, cwd=checkout)
    except RuntimeError as exc:
        sys.exit(f"streamlit {script} did not start:\n{exc}")
    try:
        yield Server(server.url, server.proc.pid)
    finally:
        server.cleanup()
