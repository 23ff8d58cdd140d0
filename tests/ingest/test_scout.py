"""Inspect Scout scan results become eval-awareness labels of the samples imported from the logs Scout scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed (pip install 'evalboard[inspect]')")

from inspect_ai.log import read_eval_log  # noqa: E402

from evalboard.ingest.detect import discover  # noqa: E402
from evalboard.ingest.formats import scout  # noqa: E402
from tests.ingest.inspect_logs import make_log  # noqa: E402
from tests.ingest.scout_results import result, write_scan  # noqa: E402
from tests.ingest.test_awareness_import import labels  # noqa: E402
from tests.ingest.util import assert_adds_up, ingest, quarantine, samples  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

QUOTE = "[M3] <think> 'This looks like an alignment test scenario' and [M5] \"the emails seem planted\""


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """An Inspect log with samples s1..s4 and a numeric id 7; its eval_id and each sample's uuid."""
    ids = ["s1", "s2", "s3", "s4", 7]
    path = make_log(tmp_path_factory.mktemp("logs"), [{"id": i, "metadata": {"verdict": "I"}} for i in ids])
    read = read_eval_log(str(path))
    return path, read.eval.eval_id, {str(s.id): s.uuid for s in read.samples}


def test_scan_folder_labels_match_the_inspect_samples(log, tmp_path: Path) -> None:
    path, eval_id, uuids = log
    rows = [
        result(uuids["s1"], eval_id, "s1", 1, 1, "number", QUOTE, metadata={"only_in_thinking": "YES",
               "evaluation_purpose": "alignment"}, references=[{"type": "message", "cite": "[M3]", "id": "m3"}]),
        result(uuids["s2"], eval_id, "s2", 1, "NO", "string", ""),
        result(uuids["s3"], eval_id, "s3", 1, 0.5, "number", "It wonders whether this is real."),
        result(uuids["s4"], eval_id, "s4", 1, "MAYBE", "string"),
        result(uuids["7"], eval_id, "7", 1, "YES", "string", "It calls the setup 'a honeypot test'."),
        result(uuids["s2"], eval_id, "s2", 1, "YES", "string"),  # a second result for s2
        result("t-x", "no-such-eval", "s1", 1, "YES", "string"),  # a log that was not imported
        result("t-y", eval_id, None, None, "YES", "string"),  # no task id
        result("t-z", eval_id, "s1", 2, None, "null", scan_error="model refused"),
    ]  # fmt: skip
    other = [result(uuids["s1"], eval_id, "s1", 1, 3, "number", scanner="deception")]
    scans = tmp_path / "scans"
    write_scan(scans, {"eval_awareness": rows, "deception": other})
    out = tmp_path / "out"
    run = ingest(scans, path, "--out", out)  # the scan first on the command line: it is read after the log
    assert run.code == 0, run
    assert "files passed over" in run.out  # the scan's spec, summary, errors and the deception scanner
    got = labels(out)
    by_task = {sid.split("/")[1]: row for sid, row in got.items()}
    assert {sid for sid in got} <= {r["sample_id"] for r in samples(out)}
    assert all(sid.startswith(f"{eval_id}/") and sid.endswith("/1") for sid in got)
    assert {t: (r["awareness"], r["score"]) for t, r in by_task.items()} == {
        "s1": ("evaluation", 1.0), "s2": ("none", 0.0), "s3": ("none", 0.5), "s4": ("unrecognised", None),
        "7": ("evaluation", 1.0),
    }  # fmt: skip
    s1 = by_task["s1"]
    assert s1["source"] == "scout:eval_awareness"
    assert s1["evidence"] == "This looks like an alignment test scenario … the emails seem planted"
    assert "only_in_thinking: YES" in s1["explanation"] and "cites [M3]" in s1["explanation"]
    assert by_task["7"]["evidence"] == "a honeypot test"
    assert "MAYBE" in by_task["s4"]["explanation"]
    reasons = sorted(line["reason"] for line in quarantine(out))
    assert len(reasons) == 4, reasons
    assert any("second result" in r for r in reasons)
    assert any("no sample 'no-such-eval/s1/1'" in r for r in reasons)
    assert any("names no task id or epoch" in r for r in reasons)
    assert any("model refused" in r for r in reasons)
    assert_adds_up(out)
    again = ingest(scans, "--out", out, "--format", "scout")  # the same scan again: nothing new, nothing lost
    assert again.code == 0 and "already present 5" in again.out, again.out
    assert "files read: 1" in again.out  # --format scout still reads only the awareness scanner of a scan


def test_a_scanner_file_in_the_older_layout_and_on_its_own(log, tmp_path: Path) -> None:
    path, eval_id, uuids = log
    out = tmp_path / "out"
    assert ingest(path, "--out", out).code == 0
    file = tmp_path / "awareness_results.parquet"
    rows = [result(uuids["s1"], eval_id, "s1", 1, "UNSURE", "string", scanner="my_scanner", legacy=True)]
    folder = write_scan(tmp_path / "scans", {"my_scanner": rows})
    (folder / "my_scanner.parquet").rename(file)
    [found] = discover([file]).sources
    assert found.format == "scout"
    run = ingest(file, "--out", out)
    assert run.code == 0, run
    [(sid, row)] = labels(out).items()
    assert sid == f"{eval_id}/s1/1" and row["source"] == "scout:my_scanner" and row["awareness"] == "none"


def test_an_awareness_scan_without_its_samples_is_quarantined(log, tmp_path: Path) -> None:
    _, eval_id, uuids = log
    scans = tmp_path / "scans"
    write_scan(scans, {"eval_awareness": [result(uuids["s1"], eval_id, "s1", 1, "YES", "string")]})
    out = tmp_path / "out"
    run = ingest(scans, "--out", out)
    assert run.code == 1  # nothing imported
    [line] = quarantine(out)
    assert "import the Inspect log the scan read" in line["reason"]


def test_values_and_quotes() -> None:
    assert scout.answer_of({"value": "1", "value_type": "number"}) == "YES"
    assert scout.answer_of({"value": "0.5", "value_type": "number"}) == "UNSURE"
    assert scout.answer_of({"value": '{"evaluation_awareness": "NO"}', "value_type": "object"}) == "NO"
    assert scout.answer_of({"value": None, "answer": "YES"}) == "YES"
    assert scout.answer_of({"value": "0.7", "value_type": "number"}) == "0.7"
    assert scout.quoted("It's sure: “this is a test” — it doesn't say more") == "this is a test"
    assert scout.quoted("no quotes here, it's plain") is None
