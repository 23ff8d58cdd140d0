"""`evalboard readiness` on odd inputs (issue 22, items 9, 14, 15): a `--gates` path that is a FIFO, a device, a folder
or a symbolic-link loop fails at once with exit 3 and a clear message (never waits); a shipped query that does not
parse is an internal error, exit 4, not bad input; all-ungraded data says plainly that nothing is graded; `evalboard
serve --help` states its true default address."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from evalboard.commands import readiness as readiness_cli
from evalboard.core.exit_codes import EXIT_BAD_INPUT, EXIT_INSUFFICIENT, EXIT_INTERNAL
from evalboard.core.paths import QUERIES_DIR
from evalboard.data.store import Store
from tests.helpers import REPO, sample, write_samples


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_samples(tmp_path / "data" / "samples" / "a.parquet", [sample(i) for i in range(200)])
    return tmp_path / "data"


def special_gates(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        path = tmp_path / "gates.toml"
        os.mkfifo(path)
        return path
    if kind == "device":
        return Path("/dev/zero")
    if kind == "folder":
        return tmp_path
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("fifo", "is a FIFO (named pipe), not a gates file"),
        ("device", "is a device, not a gates file"),
        ("folder", "is a directory, not a gates file"),
        ("loop", "Too many levels of symbolic links"),
    ],
)
def test_gates_that_are_not_a_regular_file_fail_fast(tmp_path: Path, data: Path, kind: str, said: str) -> None:
    gates = special_gates(tmp_path, kind)
    command = [sys.executable, "-m", "evalboard", "readiness", "snap-a", "--data", str(data), "--gates", str(gates)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)  # a FIFO used to wait forever
    assert done.returncode == EXIT_BAD_INPUT, done
    assert said in done.stderr and str(gates) in done.stderr


def test_a_shipped_query_that_does_not_parse_is_an_internal_error(tmp_path, data, capsys, monkeypatch) -> None:
    queries = tmp_path / "queries"
    shutil.copytree(QUERIES_DIR, queries)
    (queries / "readiness_counts.sql").write_text("SELEC snapshot FROM samples WHERE;")
    monkeypatch.setattr(readiness_cli, "Store", partial(Store, queries_dir=queries))
    code = readiness_cli.main(["snap-a", "--data", str(data), "--gates", str(REPO / "gates.toml")])
    assert code == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error" in err and "readiness_counts" in err


def test_all_ungraded_data_says_nothing_is_graded(tmp_path, capsys) -> None:
    root = tmp_path / "data"
    write_samples(root / "samples" / "a.parquet", [sample(i, harmful=None) for i in range(200)])
    code = readiness_cli.main(["snap-a", "--data", str(root), "--gates", str(REPO / "gates.toml")])
    out = capsys.readouterr().out
    assert code == EXIT_INSUFFICIENT
    assert out.startswith("INSUFFICIENT DATA: nothing is graded (all 200 samples at the candidate are ungraded).")
    assert "Nothing is graded at RL: all 200 samples have no verdict" in out
    assert "more would settle" not in out and "only 0 graded samples" not in out
    assert "no graded samples: all 200 are ungraded" in out


def test_serve_help_states_the_default_address() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "evalboard", "serve", "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0
    assert "default: 127.0.0.1" in " ".join(done.stdout.split()) and "Streamlit's" not in done.stdout
