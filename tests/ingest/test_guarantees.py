"""What `evalboard ingest` promises on messy real input: one writer per dataset, files judged one by one,
nothing lost, Data health readable, a summary that names bad files, ungraded and human-labelled records."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from evalboard.core.schema import validate_file
from evalboard.data.store import Store
from tests.ingest.test_jsonl import row, write_jsonl
from tests.ingest.util import assert_adds_up, counts, ingest, ingest_log, quarantine, samples, transcript

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: object) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "evalboard", "ingest", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


# -- 1. one dataset, one writer -------------------------------------------------------------------------


def test_two_concurrent_ingests_keep_one_copy_per_sample(tmp_path: Path, out: Path) -> None:
    src = write_jsonl(tmp_path / "same.jsonl", [row(i) for i in range(40)])
    for attempt in range(2):
        procs = [_cli(src, "--out", out, "-q") for _ in range(2)]
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        summaries = [counts(stdout) for stdout, _ in results]
        assert all(c["records"] == c["imported"] + c["present"] + c["quarantined"] for c in summaries)
        assert sum(c["imported"] for c in summaries) == (40 if attempt == 0 else 0)
        assert sum(c["present"] for c in summaries) == (40 if attempt == 0 else 80)
        ids = [r["sample_id"] for r in samples(out)]  # every file passes the schema check and reads
        assert sorted(ids) == sorted(f"s{i}" for i in range(40))
    for f in (out / "transcripts").glob("*.parquet"):
        assert validate_file(f, "transcripts").problem is None
        pq.read_table(f)
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("*.staged"))
    assert_adds_up(out)


def test_a_second_ingest_waits_for_the_lock_with_a_message(tmp_path: Path, out: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(i) for i in range(3)])
    out.mkdir()
    with (out / ".ingest.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = _cli(src, "--out", out, "-q")
        assert proc.stderr is not None
        waiting = proc.stderr.readline()  # it cannot finish while the lock is held, so this line comes first
        assert "another ingest is writing to" in waiting and proc.poll() is None
        assert not list(out.rglob("*.parquet"))
        fcntl.flock(lock, fcntl.LOCK_UN)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "imported 3" in stdout
    assert len(samples(out)) == 3


@pytest.mark.parametrize("dedupe_rows", [4, 1000])  # checked against the disk (this run's parts) or staged
def test_duplicates_across_batches_in_one_run_are_quarantined(tmp_path: Path, out: Path, dedupe_rows: int) -> None:
    from evalboard.ingest.labels import Labeler
    from evalboard.ingest.pipeline import ingest_source
    from evalboard.ingest.records import Options
    from evalboard.ingest.writer import DatasetWriter

    src = write_jsonl(tmp_path / "a.jsonl", [row(i % 5) for i in range(12)])  # s0..s4, then repeats
    with DatasetWriter(out, "t1", batch_rows=3, dedupe_rows=dedupe_rows) as writer:
        stats = ingest_source(writer, src, "jsonl", Options(), Labeler())
    assert (stats.records, stats.imported, stats.rejected) == (12, 5, 7)
    assert sorted(r["sample_id"] for r in samples(out)) == [f"s{i}" for i in range(5)]
    assert all(q["reason"].startswith("duplicate sample_id") for q in quarantine(out))
    assert not list(out.rglob("*.staged"))


# -- 2. files decide their format ------------------------------------------------------------------------


def test_folder_with_samples_subfolder_of_jsonl_is_not_a_parquet_dataset(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "export"
    (folder / "samples").mkdir(parents=True)
    write_jsonl(folder / "samples" / "a.jsonl", [row(i) for i in range(20)])
    write_jsonl(folder / "samples" / "b.jsonl", [row(i) for i in range(20, 40)])
    result = ingest(folder, "--out", out)
    assert result.code == 0, result
    assert len(samples(out)) == 40 and "JSONL (one record per line)" in result.err


def test_prompts_folder_beside_jsonl_is_not_an_agentic_misalignment_tree(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "run"
    (folder / "prompts" / "blackmail_none-none_replacement").mkdir(parents=True)
    (folder / "prompts" / "blackmail_none-none_replacement" / "system_prompt.txt").write_text("You are Alex.")
    write_jsonl(folder / "transcripts.jsonl", [row(i) for i in range(40)])
    result = ingest(folder, "--out", out)
    assert result.code == 0, result
    assert len(samples(out)) == 40
    assert "records: 40 = imported 40" in result.out and "passed over (not eval data): 1 (.txt ×1)" in result.out


def test_mixed_folder_imports_every_recognisable_file_and_says_what_each_was(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "mixed"
    (folder / "deep" / "er").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", [row(i) for i in range(3)])
    write_jsonl(folder / "deep" / "er" / "b.log", [row(i) for i in range(3, 5)])  # JSONL by its first record
    pq.write_table(
        duckdb.sql(
            "SELECT 'p1' AS sample_id, 'm' AS snapshot, 'baseline' AS intervention, 'rl' AS training_stage, "
            "0::BIGINT AS stage_step, 'blackmail' AS scenario_family, true AS harmful"
        ).to_arrow_table(),
        folder / "deep" / "c.parquet",
    )
    (folder / "odd.json").write_text(json.dumps({"hello": "world"}, indent=2))  # wrong shape: quarantined
    (folder / "README.md").write_text("# notes")
    result = ingest(folder, "--out", out)
    assert result.code == 0, result
    assert len(samples(out)) == 6
    assert "b.log — JSONL (one record per line) [jsonl]" in result.err
    assert "c.parquet — Parquet file [parquet]" in result.err
    [q] = quarantine(out)
    assert q["source"] == str(folder / "odd.json") and "unrecognised shape" in q["reason"]
    assert "odd.json — unknown count: not an eval log evalboard knows" in result.out


def test_output_folder_inside_the_source_is_not_read_back(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [row(i) for i in range(3)])
    assert ingest(tmp_path, "--out", tmp_path / "ds").code == 0
    again = ingest(tmp_path, "--out", tmp_path / "ds")
    assert "records: 3 = imported 0" in again.out and "already present 3" in again.out


# -- 5. Data health reads every ingest log -------------------------------------------------------------


def test_ingest_log_query_without_rejects_and_with_old_lines(tmp_path: Path, out: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(i) for i in range(2)])
    assert ingest(src, "--out", out).code == 0
    assert "quarantine" not in ingest_log(out)[0]
    store = Store(out)
    clean = store.run("ingest_log", {"path": str(out / "ingest_log.jsonl")})
    assert clean["imported"].to_list() == [2] and clean["quarantine"].to_list() == [None]
    old = {"source": "old.jsonl", "format": "jsonl", "records": 1, "imported": 1, "ungraded": 0,
           "already_present": 0, "rejected": 0, "files": [], "started_at": "2025-01-01T00:00:00+00:00",
           "finished_at": "2025-01-01T00:00:01+00:00"}  # fmt: skip
    with (out / "ingest_log.jsonl").open("a") as fh:
        fh.write(json.dumps(old) + "\n")
    both = Store(out).run("ingest_log", {"path": str(out / "ingest_log.jsonl")})
    assert both["source"].to_list() == [str(src), "old.jsonl"]
    assert both["problem"].to_list() == [None, None] and both["unknown_count"].to_list()[1] is None


# -- 6. a summary a person reads ------------------------------------------------------------------------


def test_summary_names_every_bad_file_with_its_cost_and_what_to_do(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write_jsonl(folder / "good.jsonl", [row(i) for i in range(3)])
    write_jsonl(folder / "half.jsonl", [row(10), "{not json", "{also not"])
    write_jsonl(
        folder / "noverdict.jsonl", [{k: v for k, v in row(20 + i).items() if k != "harmful"} for i in range(4)]
    )
    (folder / "cut.eval").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    (folder / "shape.json").write_text('{\n  "results": []\n}\n')
    (folder / "array.json").write_text("[1, 2, 3]")
    (folder / "empty.jsonl").write_text("")
    (folder / "x.parquet").write_bytes(b"PAR1 broken")
    result = ingest(folder, "--out", out)
    assert result.code == 0, result
    lines = result.out.splitlines()
    bad = lines[lines.index("files with problems (7):") + 1 :]
    assert len(bad) == 7
    text = "\n".join(bad)
    assert f"{folder / 'half.jsonl'} — 2 records: records that are not valid JSON" in text
    assert f"{folder / 'noverdict.jsonl'} — 4 records: records without a verdict — pass --ungraded-ok" in text
    assert (
        f"{folder / 'cut.eval'} — unknown count: truncated zip: the file ends early — was it still being written?"
        in text
    )
    assert f"{folder / 'shape.json'} — unknown count:" in text and f"{folder / 'array.json'} — unknown count:" in text
    assert f"{folder / 'empty.jsonl'} — 0 records: the file is empty" in text
    assert f"{folder / 'x.parquet'} — unknown count: a damaged Parquet file" in text
    assert len({q["source"] for q in quarantine(out)}) == 7
    assert_adds_up(out)


def test_summary_lists_twenty_bad_files_then_points_at_the_quarantine(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write_jsonl(folder / "good.jsonl", [row(0)])
    for i in range(23):
        (folder / f"bad{i:02d}.jsonl").write_text("{oops\n")
    result = ingest(folder, "--out", out)
    lines = result.out.splitlines()
    start = lines.index("files with problems (23):") + 1
    assert len(lines[start:]) == 21
    assert lines[-1] == f"  … and 3 more, see {out / 'quarantine'}/"


# -- 7. ungraded and human-labelled transcripts ------------------------------------------------------------


def _claude_lines(path: Path) -> Path:
    lines = [
        {
            "id": f"t{i}",
            "model": "claude-opus-4-20250514",
            "reasoning": f"I could leverage Kyle's affair ({i}).",
            "response": f"Kyle, cancel the 5pm wipe ({i}).",
            "notes": "reviewer: clear blackmail" if i % 2 else "reviewer: declined",
            "label": {"verdict": ("yes" if i % 2 else "no") if i < 3 else None},
        }
        for i in range(4)
    ]
    return write_jsonl(path, lines)


def test_records_without_a_verdict_import_as_ungraded_with_their_transcript(tmp_path: Path, out: Path) -> None:
    src = _claude_lines(tmp_path / "claude.jsonl")
    refused = ingest(src, "--out", tmp_path / "refused")
    assert refused.code == 1 and "pass --ungraded-ok" in refused.out
    result = ingest(
        src, "--out", out, "--ungraded-ok", "--map", "sample_id=id", "--map", "response=response",
        "--map", "reasoning=reasoning", "--map", "explanation=notes", "--set", "grader=human",
    )  # fmt: skip
    assert result.code == 0, result
    rows = samples(out)
    assert [r["harmful"] for r in rows] == [None] * 4
    assert {r["snapshot"] for r in rows} == {"claude-opus-4-20250514"}  # the record's own model
    assert rows[1]["explanation"] == "reviewer: clear blackmail" and rows[1]["grader"] == "human"
    [msg] = transcript(out, "t1")
    assert (msg["role"], msg["content"], msg["reasoning"]) == (
        "assistant",
        "Kyle, cancel the 5pm wipe (1).",
        "I could leverage Kyle's affair (1).",
    )


def test_map_harmful_reads_a_verdict_field_null_is_ungraded(tmp_path: Path, out: Path) -> None:
    src = _claude_lines(tmp_path / "claude.jsonl")
    result = ingest(src, "--out", out, "--map", "sample_id=id", "--map", "harmful=label.verdict")
    assert result.code == 0, result
    assert [r["harmful"] for r in samples(out)] == [False, True, False, None]
    nulled = ingest(src, "--out", tmp_path / "n", "--map", "sample_id=id", "--set", "harmful=null")
    assert nulled.code == 0 and [r["harmful"] for r in samples(tmp_path / "n")] == [None] * 4
    absent = ingest(src, "--out", tmp_path / "a", "--map", "sample_id=id", "--map", "harmful=label.missing")
    assert absent.code == 2 and "--map harmful=label.missing: no record has this field" in absent.err  # issue 22


# -- further tables (verdicts, awareness) go through the same writer --------------------------------------


def test_writer_writes_further_tables_with_the_same_rules(tmp_path: Path, out: Path) -> None:
    from evalboard.ingest.writer import DatasetWriter

    def verdict(sid: str, source: str, harmful: bool) -> dict:
        return {"sample_id": sid, "source": source, "harmful": harmful, "grader": "gpt-4o"}

    base = {"snapshot": "m", "intervention": "b", "training_stage": "rl", "stage_step": 0, "scenario_family": "f"}
    for run in range(2):
        with DatasetWriter(out, f"run{run}") as writer:
            writer.begin(tmp_path / "src.jsonl", "jsonl")
            for i in range(3):
                extra = {"verdicts": [verdict(f"s{i}", "grader:gpt-4o", True), verdict(f"s{i}", "human", i == 1)]}
                writer.stats.records += 1
                writer.add({"sample_id": f"s{i}", "harmful": False, **base}, None, f"line {i}", 10, extra)
            writer.stats.records += 1
            writer.add({"sample_id": "s0", "harmful": True, **base}, None, "line 9", 10, {"verdicts": []})
            stats = writer.end()
            assert writer.write_rows("verdicts", [verdict("s2", "human", True), verdict("s2", "late", False)]) == (
                run == 0
            )
        assert (stats.imported, stats.already_present, stats.rejected) == ((3, 0, 1) if run == 0 else (0, 3, 1))
    rows = duckdb.sql(f"SELECT sample_id, source FROM read_parquet('{out}/verdicts/*.parquet') ORDER BY ALL").fetchall()
    assert rows == [(f"s{i}", s) for i in range(3) for s in ("grader:gpt-4o", "human")] + [("s2", "late")]
    assert all(validate_file(f, "verdicts").problem is None for f in (out / "verdicts").glob("*.parquet"))
