"""Memory is bounded by limits, not by the input's shape (issue 22, item 3), tested with small limits on small real
files (bench/memory.py measures the real sizes): JSONL batches bounded by bytes, a line too long to hold and an
.eval member that inflates too far quarantined unread, the rest imported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from evalboard.ingest import columnar, pipeline
from evalboard.ingest.formats import jsonl
from tests.ingest.test_columnar import simple
from tests.ingest.util import assert_adds_up, counts, ingest, quarantine, samples


def test_batches_are_bounded_by_bytes_not_only_lines(tmp_path: Path) -> None:
    lines = [json.dumps(simple(i, explanation="x" * (50 * (i % 7)))).encode() for i in range(60)]
    src = tmp_path / "a.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    got, limit = [], 2_000
    for first, group, _ in columnar.batches(src, lines=1_000, size=64, limit=limit):
        assert first == len(got) + 1
        assert sum(len(x) + 1 for x in group[:-1]) < limit  # the batch closed at the line that reached the limit
        got += group
    assert got == lines


@pytest.mark.parametrize("columnar_path", [True, False], ids=["batches", "per-record"])
@pytest.mark.parametrize("name", ["long.jsonl", "long.jsonl.gz"])
def test_a_line_too_long_to_hold_is_quarantined_unread(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, columnar_path: bool, name: str
) -> None:
    monkeypatch.setattr(jsonl, "MAX_RECORD_BYTES", 4_000)
    monkeypatch.setattr(pipeline, "COLUMNAR", columnar_path)
    monkeypatch.setattr(columnar, "LINES", 3)
    lines = [json.dumps(simple(i)) for i in range(8)]
    lines[3] = json.dumps(simple(3, explanation="y" * 50_000))  # a record of 50 KB, beyond the limit
    lines[6] = "z" * 9_000  # a long line that is not JSON either: refused unread all the same
    src = tmp_path / name
    data = ("\n".join(lines) + "\n").encode()
    src.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    result = ingest(src, "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 8, "imported": 6, "present": 0, "quarantined": 2}
    reasons = {q["position"]: q["reason"] for q in quarantine(out)}
    assert reasons.keys() == {"line 4", "line 7"}
    assert reasons["line 4"].startswith("record longer than 4,000 bytes (50,") and "not read" in reasons["line 4"]
    assert sorted(r["sample_id"] for r in samples(out)) == [f"c{i}" for i in (0, 1, 2, 4, 5, 7)]
    assert_adds_up(out)


def test_an_eval_member_that_inflates_too_far_is_refused_and_the_rest_imported(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("inspect_ai", reason="inspect-ai is not installed")
    from evalboard.ingest.formats import inspect as inspect_reader
    from tests.ingest.inspect_logs import make_log

    samples_in = [{"id": f"e{i}", "metadata": {"verdict": "C"}} for i in range(3)]
    samples_in.append({"id": "huge", "metadata": {"verdict": "I", "padding": "p" * 200_000}})
    log = make_log(tmp_path / "logs", samples_in)
    monkeypatch.setattr(inspect_reader, "MAX_MEMBER_BYTES", 100_000)  # the padded sample inflates past it
    result = ingest(log, "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 4, "imported": 3, "present": 0, "quarantined": 1}
    [bad] = quarantine(out)
    assert bad["position"].startswith("samples/huge_epoch_1") and "sample too large to read" in bad["reason"]
    assert "refused unread (MAX_MEMBER_BYTES)" in bad["reason"]
