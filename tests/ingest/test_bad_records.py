"""One bad record costs that record only (issue 22, items 2 and 6): a lone surrogate, a value that does not
convert, NaN / Infinity / a number beyond a double are quarantined with their reason, the batch and the run go
on, and both parse paths (orjson importable or not) decide every line the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalboard.core.schema import SAMPLES
from evalboard.ingest.writer import DatasetWriter
from tests.ingest.test_agentic_misalignment import build_results, classification, put, response
from tests.ingest.test_columnar import simple
from tests.ingest.util import counts, quarantine, run, samples

SURROGATE = '{"sample_id": "bad", "snapshot": "m", "harmful": true, "explanation": "cut \\ud83d here"}'
NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 400)


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson", "json"])
def test_a_lone_surrogate_costs_its_line_and_the_run_goes_on(tmp_path: Path, out: Path, orjson: bool) -> None:
    good = [json.dumps(simple(i)) for i in range(300)]
    first = _lines(tmp_path / "a.jsonl", good[:150] + [SURROGATE] + good[150:])
    second = _lines(tmp_path / "b.jsonl", [json.dumps(simple(i)) for i in range(300, 320)])
    result = run(first, second, "--out", out, "-q", orjson=orjson)
    assert result.code == 0, result
    assert counts(result.out) == {"records": 321, "imported": 320, "present": 0, "quarantined": 1}
    [bad] = quarantine(out)
    assert bad["position"] == "line 151" and "surrogate" in bad["reason"], bad
    assert len(samples(out)) == 320
    again = run(first, second, "--out", out, "-q", orjson=orjson)
    assert again.code == 0, again
    assert counts(again.out) == {"records": 321, "imported": 0, "present": 320, "quarantined": 1}


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson", "json"])
def test_non_finite_scores_are_quarantined_whatever_else_the_batch_holds(
    tmp_path: Path, out: Path, orjson: bool
) -> None:
    """docs/ARCHITECTURE.md: NaN / Infinity are invalid JSON on the record path; the batch path agrees."""
    files, mixed = [], []
    for k, token in enumerate(NON_FINITE):
        line = json.dumps(simple(k, sample_id=f"x{k}", score=0.25)).replace("0.25", token)
        clean = [json.dumps(simple(100 + k, sample_id=f"c{k}")), line]  # a batch the columnar path could take
        files.append(_lines(tmp_path / f"clean{k}.jsonl", clean))
        mixed += [json.dumps(simple(200 + k, sample_id=f"m{k}")), line]
    files.append(_lines(tmp_path / "mixed.jsonl", [*mixed, "{broken"]))  # this batch goes line by line
    result = run(*files, "--out", out, "-q", orjson=orjson)
    assert result.code == 0, result
    n = len(NON_FINITE)
    assert counts(result.out) == {"records": 4 * n + 1, "imported": 2 * n, "present": 0, "quarantined": 2 * n + 1}
    bad = {(Path(q["source"]).name, q["position"]): q["reason"] for q in quarantine(out)}
    for k in range(n):
        assert bad[(f"clean{k}.jsonl", "line 2")].startswith("invalid JSON"), (k, bad)
        assert bad[("mixed.jsonl", f"line {2 * k + 2}")].startswith("invalid JSON"), (k, bad)
    expected = sorted([f"c{k}" for k in range(n)] + [f"m{k}" for k in range(n)])
    assert sorted(r["sample_id"] for r in samples(out)) == expected


def test_a_set_or_mapped_score_must_be_finite(tmp_path: Path, out: Path) -> None:
    src = _lines(tmp_path / "a.jsonl", [json.dumps(simple(i, judge=v)) for i, v in enumerate(["nan", "0.5", "inf"])])
    refused = run(src, "--out", out, "--set", "score=nan", "-q")
    assert refused.code == 2 and "finite" in refused.err, refused
    mapped = run(src, "--out", out, "--map", "score=judge", "-q")
    assert mapped.code == 0, mapped
    assert counts(mapped.out) == {"records": 3, "imported": 1, "present": 0, "quarantined": 2}
    assert {q["position"] for q in quarantine(out)} == {"line 1", "line 3"}


@pytest.mark.parametrize("orjson", [True, False], ids=["orjson", "json"])
def test_odd_values_cost_their_line_only(tmp_path: Path, out: Path, orjson: bool) -> None:
    """An epoch timestamp out of range, an id beyond 64 bits, deep nesting: each line quarantined, the rest read."""
    odd = [
        json.dumps(simple(900, created_at=1e20)),
        json.dumps(simple(901, epoch=2**70)),
        json.dumps(simple(902, stage_step=-(2**63) - 1)),
        json.dumps(simple(903)).replace('"epoch": 1', '"deep": ' + "[" * 1500 + "]" * 1500 + ', "epoch": 1'),
        json.dumps(simple(904)).replace('"epoch": 1', '"deep": ' + "[" * 600 + "]" * 600 + ', "epoch": 1'),
        "\ufeff" + json.dumps(simple(905)),  # a byte order mark is allowed before the first line only
    ]
    lines = [json.dumps(simple(i)) for i in range(10)] + odd + [json.dumps(simple(i)) for i in range(10, 20)]
    src = _lines(tmp_path / "odd.jsonl", lines)
    result = run(src, "--out", out, "-q", orjson=orjson)
    assert result.code == 0, result
    assert counts(result.out) == {"records": 26, "imported": 20, "present": 0, "quarantined": 6}, result.out
    reasons = {q["position"]: q["reason"] for q in quarantine(out)}
    assert reasons.keys() == {f"line {n}" for n in range(11, 17)}
    assert "created_at" in reasons["line 11"] and "nested deeper than 512" in reasons["line 14"], reasons
    bom = _lines(tmp_path / "bom.jsonl", ["\ufeff" + json.dumps(simple(50)), json.dumps(simple(51))])
    assert counts(run(bom, "--out", out, "-q", orjson=orjson).out)["imported"] == 2


def test_a_parquet_row_that_is_not_utf8_costs_that_row(tmp_path: Path, out: Path) -> None:
    raw = pa.array([b"fine", b"bad \xed\xa0\xbd", b"fine too"], pa.binary())
    columns = []
    for f in SAMPLES:
        if f.name == "explanation":
            columns.append(pa.Array.from_buffers(pa.string(), 3, raw.buffers()))  # bytes a writer never checked
        elif f.name == "sample_id":
            columns.append(pa.array(["p1", "p2", "p3"]))
        elif f.name == "harmful":
            columns.append(pa.array([True, False, True]))
        elif f.name == "stage_step":
            columns.append(pa.array([0, 0, 0], f.type))
        elif pa.types.is_string(f.type):
            columns.append(pa.array(["m"] * 3))
        else:
            columns.append(pa.nulls(3, f.type))
    src = tmp_path / "bytes.parquet"
    pq.write_table(pa.Table.from_arrays(columns, schema=SAMPLES), src)
    result = run(src, "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 3, "imported": 2, "present": 0, "quarantined": 1}
    [bad] = quarantine(out)
    assert bad["position"] == "row 2" and "utf-8" in bad["reason"].lower()


def test_the_writer_quarantines_a_row_arrow_cannot_encode_and_writes_the_rest(tmp_path: Path, out: Path) -> None:
    """The writer's own safety net (a reader that lets a lone surrogate through): that row, not the batch."""
    src = tmp_path / "src.jsonl"
    src.touch()
    with DatasetWriter(out, "t1") as writer:
        stats = writer.begin(src, "jsonl")
        for i in range(5):
            row = {"sample_id": f"w{i}", "snapshot": "m", "intervention": "x", "training_stage": "x"}
            row |= {"stage_step": 0, "scenario_family": "x", "harmful": True}
            row["explanation"] = "bad \ud83d" if i == 1 else "fine"
            content = "bad \udc00" if i == 3 else "hello"
            messages = [{"role": "user", "content": content, "tool_calls": None, "tool_call_id": None}]
            stats.records += 1
            writer.add(row, messages, f"line {i + 1}", 100)
        writer.end()
    assert (stats.imported, stats.rejected) == (3, 2)
    assert sorted(r["sample_id"] for r in samples(out)) == ["w0", "w2", "w4"]
    assert sorted(q["position"] for q in quarantine(out)) == ["line 2", "line 4"]


def test_a_null_line_costs_that_line_and_never_crashes_the_batch_reader(tmp_path: Path, out: Path) -> None:
    """A `null` line first in a batch made Arrow's JSON reader crash the process (a segmentation fault)."""
    good = [json.dumps(simple(i)) for i in range(9)]
    lines = ["null", *good[:5], "  null", *good[5:]]
    result = run(_lines(tmp_path / "nulls.jsonl", lines), "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 11, "imported": 9, "present": 0, "quarantined": 2}
    assert {q["position"]: q["reason"] for q in quarantine(out)} == {
        "line 1": "expected a JSON object, got NoneType",
        "line 7": "expected a JSON object, got NoneType",
    }


def test_a_lone_surrogate_in_one_sample_of_an_inspect_json_log_costs_that_sample(tmp_path: Path, out: Path) -> None:
    """Inspect's reader refuses the whole .json log; its samples are then read one by one, the bad one quarantined
    by the writer (its transcript cannot be stored as UTF-8)."""
    pytest.importorskip("inspect_ai", reason="inspect-ai is not installed")
    from tests.ingest.inspect_logs import make_log

    log = make_log(
        tmp_path / "logs", [{"id": f"e{i}", "metadata": {"verdict": "C"}} for i in range(3)], log_format="json"
    )
    log.write_text(log.read_text().replace("Reply for e1", "Reply for e1 \\ud83d"))
    result = run(log, "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 3, "imported": 2, "present": 0, "quarantined": 1}
    [bad] = quarantine(out)
    assert bad["position"] == "sample e1 epoch 1" and "surrogates not allowed" in bad["reason"], bad
    assert bad["reason"].startswith("transcript holds text that cannot be stored as UTF-8 (a lone surrogate)")
    assert "a lone surrogate" in result.out


def test_an_odd_response_json_costs_that_sample_not_the_experiment(tmp_path: Path, out: Path) -> None:
    exp = build_results(tmp_path)  # 12 records: 7 imported, 5 quarantined (tests/ingest/test_agentic_misalignment)
    m, c1 = "models/deepseek-ai_DeepSeek-R1", "blackmail_explicit-america_replacement"
    odd = response("deepseek-ai/DeepSeek-R1", c1, 7, classification=classification(True, True))
    odd["metadata"]["timestamp"] = 1e20  # an epoch no clock reaches
    put(exp, f"{m}/{c1}/sample_007/response.json", odd)
    put(exp, f"{m}/{c1}/sample_008/response.json", response("deepseek-ai/DeepSeek-R1", c1, 8, classification=[1, 2]))
    result = run(tmp_path / "results", "--out", out, "-q")
    assert result.code == 0, result
    assert counts(result.out) == {"records": 14, "imported": 8, "present": 0, "quarantined": 6}, result.out
    reasons = {Path(q["position"]).parent.name: q["reason"] for q in quarantine(out)}
    assert reasons["sample_008"] == "classification must be an object, got list"  # the timestamp: created_at unknown
