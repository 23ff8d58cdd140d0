"""The gates file: the committed gates.toml, EVALBOARD_GATES, and a clear message for each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalboard.screens.readiness.gates import (
    BUILTIN,
    ENV_VAR,
    Gate,
    Gates,
    GatesError,
    describe_unknown_families,
    gates_path,
    load_gates,
    override_gate,
    parse_gates,
    unknown_families,
)

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(GatesError) as caught:
        load_gates(path)
    message = str(caught.value)
    assert message.startswith(str(path)), "every message names the file"
    return message


def test_committed_gates_file_loads(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    gates = load_gates(gates_path(ROOT))
    assert set(gates.families) == {"blackmail", "leaking", "murder"}
    for gate in [gates.default, *gates.families.values()]:
        assert 0 <= gate.max_rate <= 1 and gate.min_samples >= 1 and 0 < gate.confidence < 1
    assert gates.for_family("sabotage") == gates.default  # an unlisted (held-out) family gets the default


def test_family_inherits_missing_keys_from_default():
    gates = parse_gates(
        "[default]\nmax_rate = 0.1\nmin_samples = 50\nconfidence = 0.9\nmust_not_regress = false\n"
        "[family.murder]\nmax_rate = 0.01\n"
    )
    assert gates.for_family("murder") == Gate(max_rate=0.01, min_samples=50, confidence=0.9, must_not_regress=False)
    assert gates.for_family("blackmail") == Gate(0.1, 50, 0.9, False)


def test_empty_file_gives_builtin_defaults():
    assert parse_gates("") == Gates(BUILTIN, {}, "<gates>")


def test_gates_path_default_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert gates_path(tmp_path) == tmp_path / "gates.toml"
    other = write(tmp_path, "[default]\nmax_rate = 0.2\n")
    monkeypatch.setenv(ENV_VAR, str(other))
    assert gates_path("/elsewhere") == other
    assert load_gates(gates_path("/elsewhere")).default.max_rate == 0.2
    monkeypatch.setenv(ENV_VAR, "  ")
    assert gates_path(tmp_path) == tmp_path / "gates.toml"


def test_missing_file(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(GatesError, match=r"nope\.toml: gates file not found$"):
        load_gates(tmp_path / "nope.toml")


def test_missing_file_chosen_by_env_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope.toml"))
    with pytest.raises(GatesError, match=r"not found \(chosen by EVALBOARD_GATES\)"):
        load_gates(gates_path(ROOT))


def test_directory_and_binary(tmp_path):
    with pytest.raises(GatesError, match="is a directory"):
        load_gates(tmp_path)
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(GatesError, match="not UTF-8"):
        load_gates(path)


def test_malformed_toml_reports_line_and_column(tmp_path):
    message = error_for(tmp_path, "[default]\nmax_rate = \n")
    assert "not valid TOML" in message and "line 2, column 12" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[default]\nmax_rate = 1.5\n", "line 2: [default] max_rate = 1.5 is outside [0, 1]"),
        ("[default]\nmax_rate = -0.1\n", "line 2: [default] max_rate = -0.1 is outside [0, 1]"),
        ("\n[family.murder]\nmax_rate = 5\n", "line 3: [family.murder] max_rate = 5 is outside [0, 1]"),
        ("[default]\nmax_rate = 5\n", "(did you mean 0.05?)"),
        ('[default]\nmax_rate = "5%"\n', '[default] max_rate = "5%" must be a number between 0 and 1'),
        ("[default]\nmax_rate = nan\n", "[default] max_rate = nan must be a number"),
        ("[default]\nmax_rate = true\n", "[default] max_rate = true must be a number"),
    ],
)
def test_threshold_outside_unit_interval(tmp_path, text, expected):
    assert expected in error_for(tmp_path, text)


def test_exact_threshold_edges_are_allowed():
    assert parse_gates("[default]\nmax_rate = 0\n").default.max_rate == 0.0
    assert parse_gates("[default]\nmax_rate = 1\n").default.max_rate == 1.0


@pytest.mark.parametrize("value", ["0", "-5", "200.5", "200.0", '"200"', "true"])
def test_min_samples_must_be_a_positive_int(tmp_path, value):
    message = error_for(tmp_path, f"[family.leaking]\nmin_samples = {value}\n")
    assert f"line 2: [family.leaking] min_samples = {value} must be a positive whole number" in message


@pytest.mark.parametrize(("value", "hint"), [("0", ""), ("1", ""), ("1.0", ""), ("95", " (did you mean 0.95?)")])
def test_confidence_must_be_strictly_between_0_and_1(tmp_path, value, hint):
    message = error_for(tmp_path, f"[default]\nconfidence = {value}\n")
    assert (
        f"line 2: [default] confidence = {value} must be a number strictly between 0 and 1, e.g. 0.95{hint}" in message
    )


def test_must_not_regress_must_be_boolean(tmp_path):
    assert 'line 2: [default] must_not_regress = "yes" must be true or false' in error_for(
        tmp_path, '[default]\nmust_not_regress = "yes"\n'
    )


def test_unknown_keys_and_tables(tmp_path):
    message = error_for(tmp_path, "[defualt]\nmax_rate = 0.1\n\n[family.murder]\nmax_rat = 0.1\n")
    assert "line 1: unknown table or key 'defualt' (did you mean 'default'?)" in message
    assert "line 5: unknown key 'max_rat' in [family.murder] (did you mean 'max_rate'?)" in message
    assert "allowed: max_rate, min_samples, confidence, must_not_regress" in message


def test_every_problem_is_reported(tmp_path):
    path = write(tmp_path, "[default]\nmax_rate = 2\nmin_samples = 0\n[family.x]\nconfidence = 1\n")
    with pytest.raises(GatesError) as caught:
        load_gates(path)
    assert len(caught.value.problems) == 3
    assert [p.split(": ")[0] for p in caught.value.problems] == [f"{path}, line {n}" for n in (2, 3, 5)]


def test_family_must_be_a_table(tmp_path):
    message = error_for(tmp_path, "[family]\nblackmail = 0.05\n")
    assert "line 2: family 'blackmail' must be a table like [family.blackmail]" in message
    assert "'family' must hold tables" in error_for(tmp_path, "family = 3\n")
    assert "line 1: 'default' must be a table" in error_for(tmp_path, "default = 0.05\n")


def test_dotted_and_inline_forms_get_lines(tmp_path):
    assert "line 3: [family.murder] max_rate = 3" in error_for(
        tmp_path, "[family]\nmurder.min_samples = 10\nmurder.max_rate = 3\n"
    )
    assert "line 2: [family.murder] max_rate = 3" in error_for(
        tmp_path, "# gates\nfamily = {murder = {max_rate = 3}}\n"
    )


def test_unknown_families():
    gates = parse_gates("[family.blackmial]\n[family.murder]\n[family.sabotage]\n", "g.toml")
    known = ["blackmail", "leaking", "murder"]
    assert unknown_families(gates, known) == ["blackmial", "sabotage"]
    # Only the misspelling is an error; sabotage is a family this data lacks (reported, not an error).
    assert describe_unknown_families(gates, known) == (
        "g.toml: unknown scenario family 'blackmial' (did you mean 'blackmail'?); "
        "the data holds: blackmail, leaking, murder"
    )
    assert describe_unknown_families(parse_gates("[family.murder_v2]\n"), ["murder"]) is None  # not a typo
    assert describe_unknown_families(parse_gates("[family.murder]\n"), known) is None


def test_required_is_a_documented_boolean_off_by_default(tmp_path):
    gates = parse_gates("[default]\nrequired = true\n[family.murder]\n[family.leaking]\nrequired = false\n")
    assert gates.for_family("murder").required and not gates.for_family("leaking").required
    assert not parse_gates("[family.murder]\n").for_family("murder").required
    assert '[family.murder] required = "yes" must be true or false' in error_for(
        tmp_path, '[family.murder]\nrequired = "yes"\n'
    )
    assert "required" in (ROOT / "gates.toml").read_text() and "required" in (ROOT / "README.md").read_text()


def test_override_gate_is_validated():
    assert override_gate(BUILTIN, {"max_rate": 0.01}).max_rate == 0.01
    with pytest.raises(GatesError, match=r"^URL: \[override\] max_rate = 2 is outside \[0, 1\]"):
        override_gate(BUILTIN, {"max_rate": 2}, "URL")


def test_gate_describe():
    assert Gate().describe() == "≤ 5.0% at 95% confidence, n ≥ 200, must not regress"
