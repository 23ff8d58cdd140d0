"""Private by default: the repository's Streamlit config, the tests run the app with it, and the network guard the
browser tests put around the server does catch Streamlit's own outside lookups."""

import os
import subprocess
import sys
import tomllib

from tests.helpers import REPO

CONFIG = REPO / ".streamlit" / "config.toml"
NETGUARD = REPO / "tests" / "browser" / "netguard"


def test_config_keeps_the_app_private():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["headless"] is True and config["server"]["showEmailPrompt"] is False
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorLinks"] is False


def test_every_setting_has_its_reason():
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("#") or lines[i - 2].startswith("#"), f"no reason above: {line}"


def test_streamlit_reads_it_when_started_as_the_readme_says(tmp_path):
    # A HOME of its own: a user-level ~/.streamlit/config.toml cannot supply what the repository's lacks.
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        cwd=REPO,
        env=dict(os.environ, HOME=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for line in (
        "gatherUsageStats = false",
        'address = "127.0.0.1"',
        'showErrorDetails = "none"',
        'toolbarMode = "viewer"',
    ):
        assert f"\n{line}\n" in shown, line


def test_tests_and_benchmarks_start_the_app_without_privacy_flags():
    for path in (REPO / "tests" / "browser" / "conftest.py", REPO / "bench" / "browser.py"):
        text = path.read_text(encoding="utf-8")
        for flag in ("--browser.gatherUsageStats", "--server.address", "--server.headless"):
            assert flag not in text, f"{path.name} passes {flag}: the app must run as the README says"


def test_network_guard_catches_streamlits_external_ip_lookup(tmp_path):
    """The guard is what makes 'the server sent nothing' checkable: show it sees Streamlit's own lookup."""
    log = tmp_path / "guard.log"
    env = dict(os.environ, EVALBOARD_NET_GUARD=str(log), PYTHONPATH=f"{NETGUARD}{os.pathsep}{REPO}")
    out = subprocess.run(
        [sys.executable, "-c", "from streamlit import net_util; print(net_util.get_external_ip())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "None"
    assert "resolve checkip.amazonaws.com" in log.read_text()
