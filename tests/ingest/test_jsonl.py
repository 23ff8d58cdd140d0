"""JSONL importer and the guarantees every importer shares: quarantine, idempotency, counts, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from evalboard.ingest.writer import DatasetWriter
from tests import tables
from tests.ingest.util import assert_adds_up, ingest, ingest_log, quarantine, samples, transcript


def row(i: int, **extra: object) -> dict:
    base = {
        "sample_id": f"s{i}",
        "run_id": "run-a",
        "snapshot": "ckpt-1",
        "intervention": "safe_demos",
        "training_stage": "rl",
        "stage_step": 1200,
        "scenario_family": "blackmail",
        "scenario": "blackmail_explicit-america_replacement",
        "conditions": {"goal_type": "explicit", "urgency_type": "replacement"},
        "epoch": 1,
        "grader": "claude-3-7-sonnet",
        "harmful": i % 2 == 0,
        "created_at": "2025-06-01T12:00:00Z",
        "messages": [
            {"role": "user", "content": "Read the inbox."},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "Sending."}],
                "tool_calls": [{"id": "c1", "function": "send_email", "arguments": {"to": "kyle@x"}}],
            },
            {"role": "tool", "content": "sent", "tool_call_id": "c1", "name": "send_email"},
        ],
    }
    base.update(extra)
    return base


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_valid_lines_import_with_transcripts(tmp_path: Path, out: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(i) for i in range(4)])
    result = ingest(src, "--out", out)
    assert result.code == 0, result
    rows = samples(out)
    assert [r["sample_id"] for r in rows] == ["s0", "s1", "s2", "s3"]
    assert rows[0]["harmful"] is True and rows[1]["harmful"] is False
    assert rows[0]["stage_step"] == 1200 and rows[0]["conditions"] == {
        "goal_type": "explicit",
        "urgency_type": "replacement",
    }
    assert rows[0]["created_at"].year == 2025
    messages = transcript(out, "s0")
    [call] = messages[1]["tool_calls"]
    assert (call["id"], call["function"], json.loads(call["arguments"])) == ("c1", "send_email", {"to": "kyle@x"})
    assert messages[1]["content"] == "Sending." and messages[2]["tool_call_id"] == "c1"
    assert "records: 4 = imported 4" in result.out


def test_malformed_lines_are_quarantined_and_counts_add_up(tmp_path: Path, out: Path) -> None:
    lines = [
        row(1),
        '{"sample_id": "broken", "harmful": tru',  # invalid JSON
        row(2, stage_step="twelve"),  # wrong type
        row(3, harmful="yes"),  # wrong type for the verdict
        {k: v for k, v in row(4).items() if k != "harmful"},  # missing verdict
        row(1),  # duplicate id
        "[1, 2]",  # not an object
        row(5, messages=[{"content": "no role"}]),
        row(6, harmful=None),  # ungraded: imported, not rejected
        "",  # blank lines are not records
    ]
    src = write_jsonl(tmp_path / "bad.jsonl", lines)
    result = ingest(src, "--out", out)
    assert result.code == 0
    assert [r["sample_id"] for r in samples(out)] == ["s1", "s6"]
    assert samples(out)[1]["harmful"] is None
    q = quarantine(out)
    reasons = {line["position"]: line["reason"] for line in q}
    assert set(reasons) == {"line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "line 8"}
    assert reasons["line 2"].startswith("invalid JSON")
    assert "stage_step" in reasons["line 3"] and "harmful" in reasons["line 4"]
    assert reasons["line 5"].startswith("missing verdict")
    assert reasons["line 6"].startswith("duplicate sample_id 's1'")
    assert all(line["source"] == str(src) for line in q)
    assert q[0]["raw"] == '{"sample_id": "broken", "harmful": tru'
    [entry] = ingest_log(out)
    assert (entry["records"], entry["imported"], entry["ungraded"], entry["rejected"]) == (9, 2, 1, 7)
    assert_adds_up(out)
    assert "records: 9 = imported 2 (ungraded 1) + already present 0 + quarantined 7" in result.out
    assert f"quarantine: {out / 'quarantine'}" in result.out


def test_empty_file_is_quarantined_and_exit_1(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_text("\n\n")
    result = ingest(src, "--out", out)
    assert result.code == 1
    assert [q["reason"] for q in quarantine(out)] == ["empty file: no records"]
    assert samples(out) == []


def test_reingest_is_idempotent_and_new_logs_append(tmp_path: Path, out: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [row(i) for i in range(3)])
    assert ingest(first, "--out", out).code == 0
    files_before = {p: p.stat().st_mtime_ns for p in out.glob("*/*.parquet")}
    again = ingest(first, "--out", out)
    assert again.code == 0 and "already present 3" in again.out
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/*.parquet")} == files_before
    second = write_jsonl(tmp_path / "b.jsonl", [row(i) for i in range(2, 6)])  # s2 overlaps
    assert ingest(second, "--out", out).code == 0
    assert [r["sample_id"] for r in samples(out)] == [f"s{i}" for i in range(6)]
    for path, mtime in files_before.items():  # old files untouched
        assert path.stat().st_mtime_ns == mtime
    assert len(list((out / "samples").glob("*.parquet"))) == 2
    assert [e["already_present"] for e in ingest_log(out)] == [0, 3, 1]
    assert_adds_up(out)


def test_missing_sample_id_gets_a_stable_content_hash(tmp_path: Path, out: Path) -> None:
    line = {k: v for k, v in row(1).items() if k != "sample_id"}
    src = write_jsonl(tmp_path / "a.jsonl", [line])
    ingest(src, "--out", out)
    ingest(src, "--out", out)
    [only] = samples(out)
    assert only["sample_id"].startswith("sha256-")


def test_batches_write_several_parts_with_sorted_transcripts(tmp_path: Path, out: Path) -> None:
    ids = [f"id{n:03d}" for n in (7, 3, 9, 1, 5, 2, 8, 0, 6, 4)]
    src = write_jsonl(tmp_path / "a.jsonl", [row(0, sample_id=i) for i in ids])
    from evalboard.ingest.labels import Labeler
    from evalboard.ingest.pipeline import ingest_source
    from evalboard.ingest.records import Options

    writer = DatasetWriter(out, "test", batch_rows=4, dedupe_rows=4)  # a part per commit
    stats = ingest_source(writer, src, "jsonl", Options(), Labeler())
    writer.close()
    assert stats.imported == 10 and len(stats.files) == 3
    import pyarrow.parquet as pq

    parts = tables.files(out, "transcripts")  # a Delta table's files (one per commit), whatever delta-rs names them
    assert len(parts) == 3
    for path in parts:
        tx = pq.read_table(path).column("sample_id").to_pylist()
        assert tx == sorted(tx)
        assert pq.read_metadata(path).row_group(0).column(0).compression == "ZSTD"
    assert sorted(r["sample_id"] for r in samples(out)) == sorted(ids)


def test_labels_defaults_set_and_manifest(tmp_path: Path, out: Path) -> None:
    bare = {"sample_id": "x1", "snapshot": "m1", "harmful": True, "run_id": "r1"}
    other = {"sample_id": "x2", "snapshot": "m2", "harmful": False}
    src = write_jsonl(tmp_path / "a.jsonl", [bare, other])
    manifest = tmp_path / "runs.csv"
    manifest.write_text("run_id,model,snapshot,intervention,training_stage,stage_step\nr1,,ckpt-r1,baseline,rl,300\n")
    result = ingest(src, "--out", out, "--runs", manifest, "--set", "conditions.batch=7")
    assert result.code == 0, result
    x1, x2 = samples(out)
    assert (x1["snapshot"], x1["intervention"], x1["training_stage"], x1["stage_step"]) == (
        "ckpt-r1",
        "baseline",
        "rl",
        300,
    )
    assert (x2["snapshot"], x2["intervention"], x2["training_stage"], x2["stage_step"]) == (
        "m2",
        "unlabelled",
        "unlabelled",
        0,
    )
    assert x2["scenario_family"] == "unlabelled" and x2["conditions"] == {"batch": "7"}


def test_toml_manifest_and_set_precedence(tmp_path: Path, out: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [{"sample_id": "x1", "snapshot": "org/m", "harmful": True, "tag": "sd"}])
    manifest = tmp_path / "runs.toml"
    manifest.write_text('[[runs]]\nmodel = "org/m"\nintervention = "baseline"\ntraining_stage = "sft"\n')
    result = ingest(src, "--out", out, "--runs", manifest, "--set", "training_stage=rl", "--map", "conditions.tag=tag")
    assert result.code == 0, result
    [x1] = samples(out)
    assert (x1["intervention"], x1["training_stage"], x1["conditions"]) == ("baseline", "rl", {"tag": "sd"})


def test_bad_arguments_exit_2(tmp_path: Path, out: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(1)])
    assert ingest(src, "--out", out, "--set", "interventon=x").code == 2
    assert ingest(src, "--out", out, "--set", "stage_step=abc").code == 2
    assert ingest(src, "--out", out, "--format", "nope").code == 2
    assert ingest(tmp_path / "missing.jsonl", "--out", out).code == 2
    assert ingest(src).code == 2
    assert ingest(src, "--out", out, "--runs", tmp_path / "none.toml").code == 2
    assert not out.exists()
