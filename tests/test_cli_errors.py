"""A crash never looks like a verdict: an unexpected error in any `evalboard` command exits 4 (internal error)
with one line on stderr, and the traceback only with --debug."""

from __future__ import annotations

import pytest

from evalboard.commands import cli
from evalboard.commands import readiness as rcli
from evalboard.core.exit_codes import EXIT_BAD_INPUT, EXIT_INSUFFICIENT, EXIT_INTERNAL, EXIT_NOT_READY, EXIT_READY
from evalboard.screens.readiness import catalog as rd_catalog
from tests.helpers import DEMO, REPO


def boom(*_args, **_kwargs):
    raise FileNotFoundError("queries/readiness_candidates.sql")  # what a wheel without its SQL used to do


def test_internal_error_has_its_own_code():
    assert EXIT_INTERNAL == cli.EXIT_INTERNAL == 4
    assert EXIT_INTERNAL not in (EXIT_READY, EXIT_NOT_READY, EXIT_INSUFFICIENT, EXIT_BAD_INPUT)


@pytest.mark.parametrize("entry", ["readiness_cli", "evalboard"])
def test_readiness_crash_exits_4_without_a_traceback(monkeypatch, capsys, entry):
    monkeypatch.setattr(rd_catalog, "load_catalog", boom)
    argv = ["atlas-2026-11", "--data", str(DEMO), "--gates", str(REPO / "gates.toml")]
    code = rcli.main(argv) if entry == "readiness_cli" else cli.main(["readiness", *argv])
    out, err = capsys.readouterr()
    assert code == 4 and out == ""
    assert err == (
        "evalboard readiness: internal error: FileNotFoundError: queries/readiness_candidates.sql "
        "(run again with --debug for the traceback)\n"
    )


@pytest.mark.parametrize("argv", [["readiness", "atlas-2026-11", "--debug"], ["--debug", "readiness", "atlas-2026-11"]])
def test_debug_prints_the_traceback(monkeypatch, capsys, argv):
    monkeypatch.setattr(rd_catalog, "load_catalog", boom)
    code = cli.main([*argv, "--data", str(DEMO)])
    err = capsys.readouterr().err
    assert code == 4 and "Traceback (most recent call last)" in err and "in boom" in err


def test_any_command_crash_exits_4(monkeypatch, capsys, tmp_path):
    import evalboard.demo

    monkeypatch.setattr(evalboard.demo, "write_demo", boom)
    assert cli.main(["demo", "--out", str(tmp_path / "d")]) == 4
    assert capsys.readouterr().err.startswith("evalboard demo: internal error: FileNotFoundError")


def test_bad_input_is_still_3_and_a_verdict_still_its_code(capsys):
    assert rcli.main(["nope", "--data", str(DEMO), "--gates", str(REPO / "gates.toml")]) == 3
    assert rcli.main(["atlas-2026-11", "--data", str(DEMO), "--gates", str(REPO / "gates.toml")]) in (0, 1, 2)
