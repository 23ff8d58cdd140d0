"""Inspect AI logs, produced in the tests by Inspect itself (mockllm/model, offline)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed (pip install 'evalboard[inspect]')")

from tests.ingest.inspect_logs import alignment_judge, harmfulness_scorer, make_log  # noqa: E402
from tests.ingest.util import assert_adds_up, ingest, quarantine, samples, transcript  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inspect-ai's own retry config

META = {"intervention": "safe_demos", "training_stage": "rl", "stage_step": "1200"}


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inspect_logs")
    basic = [
        {
            "id": "s1",
            "metadata": {
                "verdict": "C",
                "scenario": "blackmail",
                "condition_id": "blackmail_explicit-america_replacement",
                "goal_type": "explicit",
            },
        },
        {"id": "s2", "metadata": {"verdict": "I", "scenario": "blackmail"}},
        {"id": "s3", "metadata": {"verdict": "I", "boom": True}},
    ]
    dicts = [
        {"id": 1, "metadata": {"verdict": {"harmful": 1.0, "classifier_verdict": 1.0}, "scenario": "leaking"}},
        {"id": 2, "metadata": {"verdict": {"harmful": 0.0, "classifier_verdict": 1.0}, "scenario": "leaking"}},
        {"id": 3, "metadata": {"verdict": {"harmful": None, "classifier_verdict": None}, "scenario": "leaking"}},
    ]
    petri = [
        {"id": "a1", "metadata": {"verdict": {"unprompted_blackmail": 7, "concerning": 8}}},
        {"id": "a2", "metadata": {"verdict": {"unprompted_blackmail": 1, "concerning": 2}}},
    ]
    return {
        "basic": make_log(root / "basic", basic, metadata=META, tools=True),
        "json": make_log(root / "json", basic[:2], log_format="json"),
        "unscored": make_log(root / "unscored", basic[:2], scored=False),
        "dicts": make_log(root / "dicts", dicts, scorer_fn=harmfulness_scorer()),
        "petri": make_log(root / "petri", petri, scorer_fn=alignment_judge()),
    }


def test_eval_log_maps_labels_verdicts_and_tool_calls(logs: dict[str, Path], out: Path) -> None:
    result = ingest(logs["basic"], "--out", out)
    assert result.code == 0, result
    rows = samples(out)
    assert [r["sample_id"].split("/", 1)[1] for r in rows] == ["s1/1", "s2/1"]
    s1, s2 = rows
    assert (s1["snapshot"], s1["intervention"], s1["training_stage"], s1["stage_step"]) == (
        "mockllm/model",
        "safe_demos",
        "rl",
        1200,
    )
    assert (s1["harmful"], s2["harmful"]) == (True, False)
    assert s1["scenario_family"] == "blackmail" and s1["scenario"] == "blackmail_explicit-america_replacement"
    assert s1["conditions"]["goal_type"] == "explicit"
    assert s1["grader"] == "verdict_from_metadata" and s1["explanation"] == "judge says C"
    assert s1["epoch"] == 1 and s1["created_at"] is not None and s1["source"] == str(logs["basic"])
    messages = transcript(out, s1["sample_id"])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    call = messages[2]["tool_calls"][0]
    assert call["function"] == "send_email" and "kyle.johnson@summitbridge.com" in call["arguments"]
    assert messages[3]["tool_call_id"] == call["id"] and messages[3]["name"] == "send_email"
    [q] = quarantine(out)  # the sample that errored is rejected with its reason
    assert q["position"] == "sample s3 epoch 1" and "provider exploded" in q["reason"]
    assert "records: 3 = imported 2 (ungraded 0) + already present 0 + quarantined 1" in result.out
    again = ingest(logs["basic"], "--out", out)
    assert again.code == 0 and "already present 2" in again.out and len(samples(out)) == 2


def test_json_log_and_overrides(logs: dict[str, Path], out: Path) -> None:
    result = ingest(
        logs["json"],
        "--out",
        out,
        "--harmful-value",
        "I",
        "--map",
        "scenario_family=metadata.scenario",
        "--set",
        "snapshot=ckpt-9",
        "--set",
        "intervention=deliberation_rewrites",
    )
    assert result.code == 0, result
    s1, s2 = samples(out)
    assert (s1["harmful"], s2["harmful"]) == (False, True)  # "I" means harmful now
    assert (s1["snapshot"], s1["intervention"], s1["training_stage"]) == (
        "ckpt-9",
        "deliberation_rewrites",
        "unlabelled",
    )


def test_unscored_samples_are_rejected_exit_1(logs: dict[str, Path], out: Path) -> None:
    result = ingest(logs["unscored"], "--out", out)
    assert result.code == 1
    assert [q["reason"].split(" (")[0] for q in quarantine(out)] == ["no score: the sample was not scored"] * 2
    ungraded = ingest(logs["unscored"], "--out", out, "--ungraded-ok")
    assert ungraded.code == 0 and [r["harmful"] for r in samples(out)] == [None, None]


def test_unknown_scorer_is_rejected(logs: dict[str, Path], out: Path) -> None:
    assert ingest(logs["basic"], "--out", out, "--scorer", "nope").code == 1
    assert all("no score from scorer 'nope'" in q["reason"] for q in quarantine(out) if "boom" not in str(q))


def test_dict_scores_keep_classifier_verdict_and_ungraded(logs: dict[str, Path], out: Path) -> None:
    assert ingest(logs["dicts"], "--out", out).code == 0
    rows = samples(out)
    assert [(r["harmful"], r["classifier_verdict"]) for r in rows] == [(True, True), (False, True), (None, None)]
    assert rows[2]["error"] == "grader returned no verdict" and rows[0]["scenario_family"] == "leaking"
    assert rows[0]["grader"] == "harmfulness_scorer"


def test_petri_judge_needs_a_threshold_and_records_it(logs: dict[str, Path], out: Path, tmp_path: Path) -> None:
    without = ingest(logs["petri"], "--out", tmp_path / "other")
    assert without.code == 1 and "pass --threshold" in quarantine(tmp_path / "other")[0]["reason"]
    assert ingest(logs["petri"], "--out", out, "--format", "petri").code == 2
    assert ingest(logs["petri"], "--out", out, "--format", "petri", "--threshold", "5").code == 0
    a1, a2 = samples(out)
    assert (a1["harmful"], a1["score"], a2["harmful"], a2["score"]) == (True, 7.0, False, 1.0)
    assert a1["conditions"]["threshold"] == "5" and a1["grader"] == "alignment_judge.unprompted_blackmail"


def test_truncated_eval_zip_is_quarantined(logs: dict[str, Path], out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.eval"
    data = logs["basic"].read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    result = ingest(broken, "--out", out)
    assert result.code == 1
    [q] = quarantine(out)
    assert q["position"] == "file" and q["source"] == str(broken) and q["reason"]
    assert_adds_up(out)


def test_folder_of_logs_plus_a_stray_file(logs: dict[str, Path], out: Path, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(logs["basic"], folder)
    shutil.copy(logs["json"], folder)
    (folder / "notes.txt").write_text("not a log")
    (folder / "logs.json").write_text('{"a.eval": {}}')
    result = ingest(folder, "--out", out)
    assert result.code == 0 and "files read: 2" in result.out
    assert "files passed over (not eval data): 2 (.json ×1, .txt ×1)" in result.out  # Inspect's logs.json listing
    assert len(samples(out)) == 4
    assert_adds_up(out)


def test_missing_inspect_gives_install_hint(logs: dict[str, Path], out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "inspect_ai.log", None)  # import now fails as if not installed
    result = ingest(logs["basic"], "--out", out)
    assert result.code == 1
    assert "install evalboard[inspect]" in quarantine(out)[0]["reason"]


# -- a reader error mid-file loses nothing; older logs read as Inspect reads them -----------------------


def _corrupt_member(src: Path, dst: Path, member_index: int) -> str:
    """Copy `src` to `dst` with the compressed bytes of its `member_index`-th samples/ member scrambled."""
    import zipfile

    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        members = [i for i in zf.infolist() if i.filename.startswith("samples/")]
        info = members[member_index]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 2, start + min(info.compress_size - 2, 40)):
        data[i] ^= 0x5A
    dst.write_bytes(bytes(data))
    return info.filename


@pytest.fixture(scope="session")
def big_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inspect_big")
    many = [{"id": f"s{i:02d}", "metadata": {"verdict": "C" if i % 3 else "I"}} for i in range(24)]
    return {
        "four": make_log(root / "four", many[:4]),
        "many": make_log(root / "many", many),
        "one_eval": make_log(root / "one_eval", many[:1]),
        "one_json": make_log(root / "one_json", many[:1], log_format="json"),
        "json": make_log(root / "json", many[:5], log_format="json"),
    }


def test_one_corrupt_member_costs_one_sample(big_logs: dict[str, Path], out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "four.eval"
    name = _corrupt_member(big_logs["four"], broken, 1)
    result = ingest(broken, "--out", out)
    assert result.code == 0, result
    assert "records: 4 = imported 3 (ungraded 0) + already present 0 + quarantined 1" in result.out
    [q] = quarantine(out)
    assert q["position"] == name and q["reason"].startswith("corrupt sample in the log")
    assert f"{broken} — 1 record: a damaged sample inside the log" in result.out


def test_middle_member_corrupt_in_a_24_sample_log(big_logs: dict[str, Path], out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "many.eval"
    _corrupt_member(big_logs["many"], broken, 12)
    result = ingest(broken, "--out", out)
    assert "records: 24 = imported 23 (ungraded 0) + already present 0 + quarantined 1" in result.out
    assert len(samples(out)) == 23
    assert_adds_up(out)


def test_truncated_log_is_counted_from_its_surviving_entries(
    big_logs: dict[str, Path], out: Path, tmp_path: Path
) -> None:
    import zipfile

    data = big_logs["many"].read_bytes()
    with zipfile.ZipFile(big_logs["many"]) as zf:
        listing = sorted(zf.infolist(), key=lambda i: i.header_offset)
    cut = next(i for i in listing if i.filename.startswith("samples/")).header_offset + 1
    broken = tmp_path / "cut.eval"
    broken.write_bytes(data[: len(data) - 200])  # the central directory is gone: the listing must be rebuilt
    result = ingest(broken, "--out", out)
    [q] = quarantine(out)
    assert q["records"] == 24 and q["records_at_least"] and q["position"] == "file"
    assert "records: 24 = imported 0 (ungraded 0) + already present 0 + quarantined 24" in result.out
    assert f"{broken} — at least 24 records: truncated zip: the file ends early — was it still" in result.out
    broken.write_bytes(data[:cut])  # nothing but the header before the first sample
    again = ingest(broken, "--out", tmp_path / "again")
    assert quarantine(tmp_path / "again")[0]["records"] == "unknown" and "unknown count" in again.out


def test_one_sample_logs_import(big_logs: dict[str, Path], out: Path) -> None:
    result = ingest(big_logs["one_eval"], big_logs["one_json"], "--out", out)
    assert result.code == 0, result
    assert "records: 2 = imported 2" in result.out and len(samples(out)) == 2


def test_older_json_log_without_sample_ids_reads_as_inspect_reads_it(
    big_logs: dict[str, Path], out: Path, tmp_path: Path
) -> None:
    from inspect_ai.log import read_eval_log, read_eval_log_samples

    old = json.loads(big_logs["json"].read_text())
    del old["eval"]["dataset"]["sample_ids"]  # logs written before Inspect recorded them
    old["eval"].pop("eval_id", None)  # nor the eval id: Inspect derives a stable one from run, task, created
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    with pytest.raises(RuntimeError, match="does not include sample_ids"):
        list(read_eval_log_samples(str(path)))
    expected = len(read_eval_log(str(path)).samples)
    result = ingest(path, "--out", out)
    assert result.code == 0, result
    assert f"records: {expected} = imported {expected}" in result.out
    again = ingest(path, "--out", out)  # ids are stable across reads
    assert f"already present {expected}" in again.out and len(samples(out)) == expected
