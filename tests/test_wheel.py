"""The built wheel is a real package: installed into a fresh venv, from another directory, it writes the demo
data, judges a snapshot and serves the app (app.py, pages/, queries/ and gates.toml travel inside it)."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.harness import REPO, AppServer, free_port

SOURCES = ("pyproject.toml", "setup.py", "README.md", "app.py", "gates.toml", "evalboard", "pages", "queries")
OPTIONAL = (".streamlit",)
RENDER = """
import sys
from streamlit.testing.v1 import AppTest
import evalboard.core.paths as p
at = AppTest.from_file(str(p.APP_SCRIPT), default_timeout=60).run()
at.switch_page("pages/readiness.py").run()
assert not at.exception, at.exception
print(p.APP_ROOT, at.title[0].value, sep="\\n")
"""


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _venv_over_this_environment(venv: Path) -> Path:
    """A fresh venv that sees the packages of the interpreter running the tests, whichever it is.

    `venv --system-site-packages` exposes the *base* interpreter's packages: run from inside a venv, the
    dependencies installed there (pyarrow, streamlit, ...) would be missing. A `.pth` file in the new venv adds
    this interpreter's own site directories instead (after the venv's own, so the installed wheel comes first).
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    dirs = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    lines = [f"import site; site.addsitedir({d!r})" for d in dirs if Path(d).is_dir()]
    (purelib,) = venv.glob("lib/python*/site-packages")
    (purelib / "zz_running_environment.pth").write_text("\n".join(lines) + "\n")
    return venv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel --no-deps .` on a copy of the sources (so the worktree gets no build/ folder)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in (*SOURCES, *OPTIONAL):
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        elif path.is_file():
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(dist)], src, dict(os.environ), 300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = dist.glob("evalboard-*.whl")
    return built


def test_wheel_carries_the_app(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("evalboard/_app/app.py", "evalboard/_app/gates.toml", "evalboard/assets/favicon.png"):
        assert path in names
    for folder, pattern in (("pages", "*.py"), ("queries", "*.sql")):
        for f in (REPO / folder).glob(pattern):
            assert f"evalboard/_app/{folder}/{f.name}" in names
    if (REPO / ".streamlit" / "config.toml").is_file():
        assert "evalboard/_app/.streamlit/config.toml" in names


def test_installed_wheel_runs_demo_readiness_and_serve(wheel, tmp_path):
    venv = _venv_over_this_environment(tmp_path / "venv")
    python, evalboard = venv / "bin" / "python", venv / "bin" / "evalboard"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EVALBOARD_DATA", "EVALBOARD_GATES")}
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", str(wheel)]
    proc = _run(install, tmp_path, env)  # --ignore-installed: an evalboard of the running environment stays put
    assert proc.returncode == 0, proc.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"  # not the repository: nothing may be found next to the sources
    elsewhere.mkdir()

    where = _run([str(python), "-c", "import evalboard; print(evalboard.__file__)"], elsewhere, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr  # the wheel's, not editable

    demo = _run([str(evalboard), "demo", "--out", "d", "--samples", "2000"], elsewhere, env)  # small: fast
    assert demo.returncode == 0 and "wrote" in demo.stdout, demo.stderr

    judged = _run([str(evalboard), "readiness", "atlas-2026-11", "--data", "d", "--format", "json"], elsewhere, env)
    report = json.loads(judged.stdout)
    assert judged.returncode == report["exit_code"] in (0, 1, 2), judged.stderr  # a verdict, not a crash
    assert report["verdict"] in ("READY", "NOT READY", "INSUFFICIENT DATA")
    assert Path(report["gates"]["source"]).is_relative_to(venv)  # the gates.toml shipped in the wheel

    rendered = _run([str(python), "-c", RENDER], elsewhere, env | {"EVALBOARD_DATA": "d"})
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    assert rendered.stdout.splitlines() == [
        str(
            venv
            / "lib"
            / f"python{sys.version_info.major}.{sys.version_info.minor}"
            / "site-packages"
            / "evalboard"
            / "_app"
        ),
        "Release readiness",
    ]

    port = free_port()
    serve = [str(evalboard), "serve", "--data", "d", "--port", str(port)]
    with AppServer(command=serve, cwd=elsewhere, env=env, port=port) as server:
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as r:
            assert r.read() == b"ok"
        with urllib.request.urlopen(f"{server.url}/readiness", timeout=10) as r:
            html = r.read().decode()
        assert r.status == 200 and '<div id="root">' in html and "<title>" in html
        # `serve` became Streamlit (exec): its own command line says usage statistics are off.
        cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"--browser.gatherUsageStats=false" in cmdline and b"--server.address=127.0.0.1" in cmdline
