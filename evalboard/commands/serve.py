"""`evalboard serve`: run the dashboard from wherever the package is installed (a wheel or a checkout).

Streamlit reads `.streamlit/config.toml` only from the working directory, so the app's own config file (shipped
beside app.py, `paths.STREAMLIT_CONFIG`) is passed as command-line flags; usage statistics are always off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

from evalboard.core import location, paths

FORCED = {"browser.gatherUsageStats": False, "server.headless": True}  # never phone home, never open a browser


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= _flatten(value, name + ".")
        else:
            out[name] = value
    return out


def _flag_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def streamlit_flags(config: Path | None = None) -> list[str]:
    """`--section.key=value` for every setting of the app's config file, then the forced ones."""
    config = paths.STREAMLIT_CONFIG if config is None else config
    settings: dict[str, object] = {}
    if config.is_file():
        settings = _flatten(tomllib.loads(config.read_text(encoding="utf-8")))
    settings |= FORCED
    return [f"--{key}={_flag_value(value)}" for key, value in settings.items()]


def command(port: int, address: str | None = None) -> list[str]:
    """The `python -m streamlit run` line for the installed app.py (listening on 127.0.0.1 unless the config
    file or `address` says otherwise: transcripts are not for the whole network by default)."""
    flags = streamlit_flags()
    if address is None and not any(f.startswith("--server.address=") for f in flags):
        address = "127.0.0.1"
    extra = [f"--server.port={port}"] + ([f"--server.address={address}"] if address else [])
    return [sys.executable, "-m", "streamlit", "run", *flags, *extra, str(paths.APP_SCRIPT)]


def serve(data: Path | None = None, port: int = 8501, address: str | None = None) -> int:
    """Run the app until it stops. On POSIX the process becomes Streamlit (exec), so signals reach it directly
    and nothing is left running when it is stopped; elsewhere it waits for a child process."""
    env = dict(os.environ)
    chosen = data or paths.default_data()
    env["EVALBOARD_DATA"] = location.resolved(chosen)
    if env.get("EVALBOARD_GATES"):  # the app may not share our working directory's meaning of a relative path
        env["EVALBOARD_GATES"] = str(Path(env["EVALBOARD_GATES"]).resolve())
    argv = command(port, address)
    print(f"evalboard serve: {env['EVALBOARD_DATA']} on port {port}", file=sys.stderr, flush=True)
    if os.name == "posix":
        os.execve(argv[0], argv, env)
    proc = subprocess.Popen(argv, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=20)
        return 130
