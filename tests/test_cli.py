import subprocess
import sys

from evalboard.commands.cli import main
from evalboard.data.store import Store


def test_demo_command_writes_a_loadable_dataset(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d"), "--samples", "2000"]) == 0
    assert "samples" in capsys.readouterr().out
    health = Store(tmp_path / "d").refresh()
    assert health.has_samples and not health.rejected and health.manifest.synthetic


def test_python_dash_m_and_delegated_help():
    out = subprocess.run([sys.executable, "-m", "evalboard", "--help"], capture_output=True, text=True, check=True)
    assert "demo" in out.stdout and "ingest" in out.stdout
    out = subprocess.run([sys.executable, "-m", "evalboard", "ingest", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--out" in out.stdout


def test_ingest_bad_arguments_exit_2(tmp_path):
    assert main(["ingest", str(tmp_path / "missing.jsonl")]) == 2  # no --out
