"""Every message `evalboard ingest` prints is true (issue 22, items 10-13), checked on real files through the real
command: exit codes, the summary's lines and the quarantine file."""

from __future__ import annotations

import gzip
import json
import shlex
from pathlib import Path

import pytest

from tests.ingest.test_agentic_misalignment import build_results
from tests.ingest.util import ROOT, counts, quarantine, run, samples


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


# -- 13. every message true ------------------------------------------------------------------------------


def test_quarantine_lines_and_the_summary_reconcile(tmp_path: Path, out: Path) -> None:
    """Whole-file lines (an empty file: 0 records; a file of another shape: unknown) are said apart."""
    (tmp_path / "half.jsonl").write_text("\n".join([line("a"), "{oops", "{oops again", line("b")]) + "\n")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "empty2.jsonl").write_text("\n\n")
    (tmp_path / "shape.json").write_text('{\n  "results": []\n}\n')
    result = run(tmp_path, "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out)["quarantined"] == 2
    written = quarantine(out)
    files = [q for q in written if "records" in q]
    assert len(written) == 5 and len(files) == 3
    assert "(5 lines: 2 for one record each, 3 for a whole file each)" in result.out
    assert "plus 1 file(s) quarantined whose record count is unknown" in result.out
    known = sum(q["records"] for q in files if q["records"] != "unknown")
    assert len(written) - len(files) + known == counts(result.out)["quarantined"]


def test_a_rerun_that_imports_nothing_says_so(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(line("a") + "\n" + line("b") + "\n")
    first = run(src, "--out", out, "-q")
    assert "files read: 1 (1 with new records, 0 already in the dataset, 0 with nothing imported)" in first.out
    again = run(src, "--out", out, "-q")
    assert again.code == 0
    assert "files read: 1 (0 with new records, 1 already in the dataset, 0 with nothing imported)" in again.out


def test_every_reason_is_listed_with_its_count(tmp_path: Path, out: Path) -> None:
    bad = [line("a")] + ["{cut"] * 9 + [json.dumps({"sample_id": f"v{i}", "snapshot": "m"}) for i in range(4)]
    bad += [line("n1", score="x"), line("n2", score="y"), '{"score": NaN}']
    (src := tmp_path / "many.jsonl").write_text("\n".join(bad) + "\n")
    result = run(src, "--out", out, "-q")
    assert result.code == 0, result
    assert "other reason" not in result.out
    assert f"  {src} — 16 records, for 4 reasons:" in result.out
    listed = result.out[result.out.index("for 4 reasons:") :].splitlines()[1:5]
    assert listed == [
        "    9 × records that are not valid JSON — was the file cut short or edited by hand?",
        "    4 × records without a verdict — pass --ungraded-ok to import them as ungraded",
        "    2 × values of the wrong type — see the quarantine file for the field",
        "    1 × NaN or Infinity, which JSON cannot hold — write such values as null",
    ]


@pytest.mark.parametrize("name", ["records.jsonl.gz", "records.json.gz", "records.jsonl", "records.gz"])
def test_gzip_is_read_as_gzip_whatever_its_name(tmp_path: Path, out: Path, name: str) -> None:
    src = tmp_path / name
    with gzip.open(src, "wt") as fh:
        fh.write("".join(line(f"g{i}") + "\n" for i in range(300)))
    result = run(src, "--out", out)
    assert result.code == 0, result
    assert counts(result.out) == {"records": 300, "imported": 300, "present": 0, "quarantined": 0}
    assert "gzip-compressed" in result.err


def test_a_gzip_file_that_is_not_jsonl_says_what_to_do(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "log.json.gz"
    with gzip.open(src, "wt") as fh:
        fh.write('{\n  "version": 2,\n  "status": "success",\n  "eval": {}\n}\n')
    result = run(src, "--out", out, "-q")
    assert result.code == 1, result
    assert "gzip-compressed, but not JSONL: decompress it (gunzip) and import the result" in result.out


def test_a_source_whose_name_starts_with_a_dash(tmp_path: Path, out: Path) -> None:
    (tmp_path / "-dash.jsonl").write_text(line("d1") + "\n")
    bare = run("-dash.jsonl", "--out", out, "-q", cwd=tmp_path)
    assert bare.code == 0, bare
    after = run("--out", out, "-q", "--", "-dash.jsonl", cwd=tmp_path)
    assert after.code == 0 and counts(after.out)["present"] == 1, after
    stray = run("--out", out, "-q", "-nope.jsonl", cwd=tmp_path)
    assert stray.code == 2 and "unrecognized arguments: -nope.jsonl" in stray.err


def line(sid: str, **extra: object) -> str:
    return json.dumps({"sample_id": sid, "snapshot": "m", "harmful": False, **extra})


def test_a_finished_log_without_samples_is_not_called_failed_or_running(tmp_path: Path, out: Path) -> None:
    pytest.importorskip("inspect_ai", reason="inspect-ai is not installed")
    from inspect_ai.log import read_eval_log, write_eval_log

    from tests.ingest.inspect_logs import make_log

    log = read_eval_log(str(made := make_log(tmp_path / "made", [{"id": "e1", "metadata": {"verdict": "C"}}])))
    assert log.status == "success"
    log.samples = []
    write_eval_log(log, str(tmp_path / "logs" / "empty.eval"))
    made.unlink()
    result = run(tmp_path / "logs", "--out", out, "-q")
    assert result.code == 1, result
    assert "empty.eval — 0 records: the eval finished without samples — was its dataset empty" in result.out
    assert "may have failed or still be running" not in result.out
