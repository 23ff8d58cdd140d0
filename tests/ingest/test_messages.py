"""Every message `evalboard ingest` prints is true (issue 22, items 10-13), checked on real files through the real
command: exit codes, the summary's lines and the quarantine file."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from tests.ingest.test_agentic_misalignment import build_results
from tests.ingest.util import ROOT, counts, run, samples


def _claude(path: Path, n: int = 40, notes_every: int = 0) -> Path:
    """Real-transcript-shaped records: an id, the model, reasoning and response; a note on every k-th."""
    with path.open("w") as fh:
        for i in range(n):
            record = {"id": f"c{i}", "model": "claude-opus-4", "reasoning": "think", "response": "reply"}
            if notes_every and i % notes_every == 0:
                record["notes"] = f"note {i}"
            fh.write(json.dumps(record) + "\n")
    return path


# -- 10. --map naming a field no record has ---------------------------------------------------------------


@pytest.mark.parametrize(
    "mapping", ["explanation=notes", "sample_id=identifier", "harmful=nonexistent"], ids=["column", "id", "verdict"]
)
def test_a_map_path_no_record_has_is_a_bad_argument(tmp_path: Path, out: Path, mapping: str) -> None:
    src = _claude(tmp_path / "claude.jsonl")
    result = run(src, "--out", out, "--ungraded-ok", "--map", mapping)
    assert result.code == 2, result
    assert f"--map {mapping}: no record has this field (looked at 40 records)" in result.err
    assert "the records have: id, model, reasoning, response" in result.err
    assert not (out / "samples").exists() or not samples(out)  # nothing written


def test_a_map_path_some_records_lack_is_counted_in_the_summary(tmp_path: Path, out: Path) -> None:
    src = _claude(tmp_path / "claude.jsonl", notes_every=4)
    result = run(src, "--out", out, "--ungraded-ok", "--map", "explanation=notes", "--map", "sample_id=id", "-q")
    assert result.code == 0, result
    assert counts(result.out)["imported"] == 40
    assert "--map explanation=notes: the field is absent from 30 of 40 records (left empty)" in result.out
    assert "sample_id=id" not in result.out  # every record has it
    assert sum(1 for r in samples(out) if r["explanation"]) == 10


# -- 11. the README's JSONL example works as written -------------------------------------------------------


def _readme_example() -> list[str]:
    """The arguments of the README's JSONL example (the command after "a human note")."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index("with a human note") :]
    block = block[block.index("```bash\n") + 8 :]
    block = block[: block.index("\n```")]
    args = shlex.split(block.replace("\\\n", " "))
    assert args[:2] == ["evalboard", "ingest"], args
    return args[2:]


def test_the_readme_jsonl_example_works_as_written_on_model_less_records(tmp_path: Path) -> None:
    with (tmp_path / "claude.jsonl").open("w") as fh:
        for i in range(40):
            record = {"id": f"c{i}", "reasoning": "think", "response": "reply", "notes": f"note {i}"}
            fh.write(json.dumps(record) + "\n")
    args = [str(tmp_path / a) if a in ("claude.jsonl", "data/mine") else a for a in _readme_example()]
    result = run(*args, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 40, "imported": 40, "present": 0, "quarantined": 0}
    rows = samples(tmp_path / "data/mine")
    assert rows[0]["explanation"].startswith("note") and rows[0]["grader"] == "human"


# -- 12. files an agentic-misalignment import read are not "passed over" -----------------------------------


def test_an_agentic_misalignment_tree_passes_over_only_what_it_did_not_read(tmp_path: Path, out: Path) -> None:
    build_results(tmp_path)  # 11 response.json, 2 conditions' prompts, a provider log and experiment_state.json
    result = run(tmp_path / "results", "--out", out, "-q")
    assert result.code == 0, result
    assert "files passed over (not eval data): 2 (.json ×1, .log ×1)" in result.out, result.out
    assert counts(result.out)["records"] == 12
