"""The one test harness, shared by tests/ and bench/: a served app on a free loopback port, Debian's chromium
settings, and the AppTest runner for a page at a URL.

A served app is `streamlit run app.py` exactly as the README says (or any other command line, e.g. the
installed `evalboard serve`), waited for on `/_stcore/health`, stopped by its own process id.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"
CHROMIUM = os.environ.get("EVALBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 90  # seconds; the machine has 2 cores shared with other test runs
# A Streamlit log line at level WARNING, or a Python warning (…Warning:) raised from Streamlit's code.
STREAMLIT_WARNING = re.compile(r"\bWARNING\s+streamlit|streamlit\S*:\d+: \w*Warning\b|\bstreamlit\S*Warning\b")
# A sitecustomize that records and refuses any connection or name lookup beyond loopback in the server process.
NETGUARD = REPO / "tests" / "browser" / "netguard"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(script: Path, port: int) -> list[str]:
    """`streamlit run` exactly as the README runs it (the repository's .streamlit/config.toml applies); only the
    port differs."""
    return [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]


class AppServer:
    """One served app; `url` is its base URL without a trailing slash. `command` is the command line (default:
    `streamlit run SCRIPT`). It runs with a HOME of its own (no user-level Streamlit config can hide a missing
    setting) and under the network guard; `outside_attempts()` lists what it tried to reach beyond loopback.
    `secrets` (TOML text, e.g. an [auth] table) goes to that HOME's .streamlit/secrets.toml, never the repository."""

    def __init__(
        self,
        script: Path = APP,
        data: Path | None = None,
        command: Sequence[str] | None = None,
        cwd: Path = REPO,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        timeout: float = SERVER_START_TIMEOUT,
        secrets: str | None = None,
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ if env is None else env)
        self.home = Path(tempfile.mkdtemp(prefix="evalboard-home-"))
        self.guard_log = self.home / "netguard.log"
        if secrets is not None:  # the user-level secrets file Streamlit reads besides the app folder's own
            (self.home / ".streamlit").mkdir()
            (self.home / ".streamlit" / "secrets.toml").write_text(secrets)
        full_env.update(HOME=str(self.home), EVALBOARD_NET_GUARD=str(self.guard_log))
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(NETGUARD), full_env.get("PYTHONPATH", "")) if p)
        if data is not None:
            full_env["EVALBOARD_DATA"] = str(Path(data).resolve())
        self.log = tempfile.NamedTemporaryFile(prefix="evalboard-streamlit-", suffix=".log", delete=False)  # noqa: SIM115
        argv = list(command) if command is not None else streamlit_command(script, self.port)
        self.proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_healthy(timeout)
        marker = Path(f"{self.guard_log}.active")
        if not (marker.exists() and marker.read_text() == str(self.proc.pid)):
            self.cleanup()
            raise RuntimeError("the network guard did not load in the app server")

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def outside_attempts(self) -> list[str]:
        """What the server tried to reach beyond loopback (refused by the guard), one line per attempt."""
        return self.guard_log.read_text().splitlines() if self.guard_log.exists() else []

    def streamlit_warnings(self) -> list[str]:
        """Lines of the server log in which Streamlit warns (its `WARNING` log lines, Python warnings it raised)."""
        if self.log.closed:
            return []
        self.log.flush()
        lines = Path(self.log.name).read_text(errors="replace").splitlines()
        return [line for line in lines if STREAMLIT_WARNING.search(line)]

    def log_tail(self, chars: int = 3000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log_tail()
                self.stop()
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        log = self.log_tail()
        self.stop()
        raise RuntimeError(f"the app did not answer /_stcore/health within {timeout:.0f}s:\n{log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self.log.closed:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)

    def cleanup(self) -> None:
        """Stop, then remove the server's HOME (with its guard log): read `outside_attempts()` before."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def app_test(
    query: Mapping[str, str | Sequence[str]] | None = None,
    page: str | None = None,
    data: Path | None = None,
    monkeypatch=None,
    timeout: float = 120,
    script: Path = APP,
):
    """Run app.py in Streamlit's AppTest with `query` in the URL, then switch to `pages/PAGE.py` if given, as a
    visitor following a link would; on `data` when given (EVALBOARD_DATA; needs `monkeypatch`)."""
    from streamlit.testing.v1 import AppTest

    if data is not None:
        monkeypatch.setenv("EVALBOARD_DATA", str(data))
    at = AppTest.from_file(str(script), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page is not None:  # a visit that starts on PAGE: the Overview's fresh-visit default does not apply
        at.session_state["_visited"] = True
    at.run()
    return at.switch_page(f"pages/{page}.py").run() if page is not None else at


def opened(at, *patterns: str):
    """Open the folded expanders (`session.folded`: built only while open) whose keys match `patterns` (shell-style,
    e.g. `raw-*`) as clicks would, and rerun. Fails when a pattern matches no expander on the page."""
    keys = list(at.session_state.keys())
    for pattern in patterns:
        matched = fnmatch.filter(keys, pattern)
        assert matched, f"no folded expander matches {pattern!r}"
        for key in matched:
            at.session_state[key] = True  # what a click on the expander sets
    return at.run()
