"""`evalboard serve`'s command line: the app's .streamlit/config.toml as flags, usage statistics always off,
loopback unless the config or --address says otherwise."""

from __future__ import annotations

from evalboard.commands import serve
from evalboard.core import paths

CONFIG = """
[browser]
gatherUsageStats = true
[server]
headless = true
showEmailPrompt = false
[client]
showErrorDetails = "none"
toolbarMode = "viewer"
[theme.sidebar]
primaryColor = "#123456"
"""


def test_config_file_becomes_flags_and_usage_stats_stay_off(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    flags = serve.streamlit_flags(config)
    assert "--browser.gatherUsageStats=false" in flags and "--browser.gatherUsageStats=true" not in flags
    assert {"--server.showEmailPrompt=false", "--client.showErrorDetails=none", "--client.toolbarMode=viewer"} <= set(
        flags
    )
    assert "--theme.sidebar.primaryColor=#123456" in flags
    assert serve.streamlit_flags(tmp_path / "missing.toml") == [
        "--browser.gatherUsageStats=false",
        "--server.headless=true",
    ]


def test_command_runs_the_resolved_app_on_loopback_by_default(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "STREAMLIT_CONFIG", tmp_path / "none.toml")
    argv = serve.command(8600)
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[-1] == str(paths.APP_SCRIPT)
    assert "--server.port=8600" in argv and "--server.address=127.0.0.1" in argv
    assert "--server.address=0.0.0.0" in serve.command(8600, "0.0.0.0")
    (tmp_path / "c.toml").write_text('[server]\naddress = "10.0.0.1"\n')
    monkeypatch.setattr(paths, "STREAMLIT_CONFIG", tmp_path / "c.toml")
    assert [a for a in serve.command(8600) if a.startswith("--server.address")] == ["--server.address=10.0.0.1"]
