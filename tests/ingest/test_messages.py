"""Every message `evalboard ingest` prints is true (issue 22, items 10-13), checked on real files through the real
command: exit codes, the summary's lines and the quarantine file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.util import counts, run, samples


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
