"""JSONL through Arrow batches gives exactly what the per-record path gives: the same rows, transcripts,
quarantine lines and counts, on clean batches and on batches where one line is bad."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evalboard.ingest import columnar, pipeline
from evalboard.ingest.compressed import GZIP_MAGIC
from evalboard.ingest.labels import Labeler
from tests.ingest.util import ingest, ingest_log, quarantine, samples


def simple(i: int, **extra: Any) -> dict[str, Any]:
    """A line the columnar path takes: plain string messages and string conditions."""
    base = {
        "sample_id": f"c{i}",
        "run_id": "run-a",
        "snapshot": "ckpt-1",
        "intervention": "safe_demos",
        "training_stage": "rl",
        "stage_step": 100 * i,
        "scenario_family": "blackmail",
        "conditions": {"goal_type": "explicit", "urgency_type": "replacement"},
        "epoch": 1,
        "harmful": i % 3 == 0,
        "score": i / 2,
        "created_at": "2025-06-01T12:00:00Z",
        "messages": [
            {"role": "user", "content": f"Read the inbox {i}."},
            {"role": "assistant", "content": "Done.", "reasoning": "I should read it."},
        ],
    }
    base.update(extra)
    return base


# Each variant: a change to a good line; the per-record path decides what it means.
VARIANTS: dict[str, Any] = {
    "good": lambda i: simple(i),
    "broken json": lambda i: '{"sample_id": "c' + str(i),
    "not an object": lambda i: [1, 2],
    "harmful as text": lambda i: simple(i, harmful="yes"),
    "no verdict": lambda i: {k: v for k, v in simple(i).items() if k != "harmful"},
    "null verdict": lambda i: simple(i, harmful=None),
    "no sample id": lambda i: {k: v for k, v in simple(i).items() if k != "sample_id"},
    "numeric sample id": lambda i: simple(i, sample_id=i),
    "duplicate id": lambda i: simple(0),
    "no snapshot, model": lambda i: {**{k: v for k, v in simple(i).items() if k != "snapshot"}, "model": "m-1"},
    "no snapshot at all": lambda i: {k: v for k, v in simple(i).items() if k != "snapshot"},
    "empty intervention": lambda i: simple(i, intervention=""),
    "float step": lambda i: simple(i, stage_step=1.5),
    "huge epoch": lambda i: simple(i, epoch=2**40),
    "naive time": lambda i: simple(i, created_at="2025-06-01T12:00:00"),
    "offset time": lambda i: simple(i, created_at="2025-06-01T14:00:00+02:00"),
    "epoch time": lambda i: simple(i, created_at=1748779200),
    "bad time": lambda i: simple(i, created_at="yesterday"),
    "numeric condition": lambda i: simple(i, conditions={"goal_type": 3}),
    "null condition": lambda i: simple(i, conditions={"goal_type": None, "x": "y"}),
    "no conditions": lambda i: {k: v for k, v in simple(i).items() if k != "conditions"},
    "no messages": lambda i: {k: v for k, v in simple(i).items() if k != "messages"},
    "empty messages": lambda i: simple(i, messages=[]),
    "list content": lambda i: simple(i, messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}]),
    "no role": lambda i: simple(i, messages=[{"content": "hi"}]),
    "tool call": lambda i: simple(
        i, messages=[{"role": "assistant", "content": "x", "tool_calls": [{"id": "a", "function": "f"}]}]
    ),
    "blank reasoning": lambda i: simple(i, messages=[{"role": "assistant", "content": "x", "reasoning": "  "}]),
    "null source": lambda i: simple(i, source=None),
    "own source": lambda i: simple(i, source="elsewhere"),
    "extra field": lambda i: simple(i, note={"by": "a human"}),
    "blank line": lambda i: "   ",
}


def write(path: Path, kinds: list[str]) -> Path:
    lines = []
    for i, kind in enumerate(kinds, 1):
        value = VARIANTS[kind](i)
        lines.append(value if isinstance(value, str) else json.dumps(value))
    path.write_text("".join(line + "\n" for line in lines))
    return path


def dataset(out: Path) -> dict[str, Any]:
    """Everything an ingest leaves that the two paths must agree on (ingest-specific names and times aside)."""
    rows = samples(out)
    for row in rows:
        row["conditions"] = dict(sorted(row["conditions"].items())) if row["conditions"] is not None else None
        row["source"] = Path(row["source"]).name if row["source"] else row["source"]
    files = [str(f) for f in (out / "transcripts").glob("*.parquet")]
    tx = dict(duckdb.execute("SELECT * FROM read_parquet($f)", {"f": files}).fetchall()) if files else {}
    quarantined = Counter((q["position"], q["reason"], q.get("records", 1)) for q in quarantine(out))
    counts = [
        (e["records"], e["imported"], e["ungraded"], e["rejected"], e["already_present"]) for e in ingest_log(out)
    ]
    return {"samples": rows, "transcripts": tx, "quarantine": quarantined, "counts": counts}


def both(src: Path, tmp: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    results = []
    for columnar_on in (True, False):
        monkeypatch.setattr(pipeline, "COLUMNAR", columnar_on)
        out = tmp / f"out-{columnar_on}"
        result = ingest(src, "--out", out, "-q", *args)
        assert result.code in (0, 1), result
        results.append(dataset(out))
    return results[0], results[1]


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_each_variant_alone_and_in_a_batch_of_good_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """One odd line, alone in its batch and among good lines: the same outcome as record by record."""
    src = write(tmp_path / "one.jsonl", ["good", "good", kind, "good"])
    for lines in (1, 4):
        monkeypatch.setattr(columnar, "LINES", lines)
        fast, slow = both(src, tmp_path / f"l{lines}", monkeypatch=monkeypatch)
        assert fast == slow


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(sorted(VARIANTS) + ["good"] * 30), min_size=1, max_size=14),
    lines=st.sampled_from([1, 3, 5]),
    args=st.sampled_from([(), ("--ungraded-ok",), ("--set", "snapshot=s9", "--set", "intervention=x")]),
)
def test_columnar_path_equals_the_per_record_path(
    monkeypatch: pytest.MonkeyPatch, kinds: list[str], lines: int, args: tuple[str, ...]
) -> None:
    monkeypatch.setattr(columnar, "LINES", lines)
    with tempfile.TemporaryDirectory() as tmp:
        src = write(Path(tmp) / "mix.jsonl", kinds)
        fast, slow = both(src, Path(tmp), *args, monkeypatch=monkeypatch)
        assert fast == slow
        records = sum(1 for k in kinds if k != "blank line")
        [(n, imported, _, rejected, present)] = fast["counts"] if records else [(0, 0, 0, 0, 0)]
        assert n == records == imported + rejected + present


def test_clean_batches_take_the_columnar_path_and_one_bad_line_only_its_batch(tmp_path: Path) -> None:
    """A clean batch converts without falling back; a batch with one bad line falls back, its neighbours not."""
    src = write(tmp_path / "a.jsonl", ["good"] * 4 + ["harmful as text"] + ["good"] * 3)
    labeler = Labeler()
    outcomes = []
    for first, lines, _ in columnar.batches(src, lines=4):
        try:
            columnar.convert(lines, first, str(src), labeler, ungraded_ok=False)
            outcomes.append("columnar")
        except columnar.Fallback:
            outcomes.append("per record")
    assert outcomes == ["columnar", "per record"]
    samples_, tx, positions = columnar.convert(
        next(columnar.batches(src, lines=4))[1], 1, str(src), labeler, ungraded_ok=False
    )
    assert positions == ["line 1", "line 2", "line 3", "line 4"] and samples_.num_rows == 4
    assert tx.column("messages")[0].as_py()[1]["reasoning"] == "I should read it."
    out = tmp_path / "out"
    assert ingest(src, "--out", out, "-q").code == 0
    [bad] = quarantine(out)
    assert bad["position"] == "line 5" and "harmful must be true/false/null" in bad["reason"]
    assert len(samples(out)) == 7


@settings(deadline=None)  # a loaded machine must not fail a counting test
@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x")), max_size=20),
    end=st.booleans(),
    per=st.integers(1, 4),
    size=st.integers(1, 30),
)
def test_batches_return_every_line_once_with_its_number(lines: list[bytes], end: bool, per: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.jsonl"
        data = b"\n".join(lines) + (b"\n" if end else b"")
        assume(not data.startswith(GZIP_MAGIC))  # gzip is recognised by its magic bytes: a plain file never starts so
        path.write_bytes(data)
        want = data.split(b"\n")
        if data.endswith(b"\n") or not data:
            want.pop()  # what `for line in file` would give, without the newlines
        if want:
            want[0] = want[0].removeprefix(b"\xef\xbb\xbf")  # a byte order mark before the first line is skipped
        got: list[bytes] = []
        for first, group, _ in columnar.batches(path, lines=per, size=size):
            assert first == len(got) + 1 and 0 < len(group) <= per
            got += group
        assert got == want


def test_batches_parsed_on_threads_come_back_in_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`converted` parses batches ahead on threads; the caller still gets them in order, fallbacks in place."""
    monkeypatch.setattr(columnar, "LINES", 3)
    kinds = (["good"] * 5 + ["harmful as text"]) * 5
    src = write(tmp_path / "a.jsonl", kinds)
    runs = []
    for workers in (1, 2, 3):
        runs.append(
            [
                (first, len(lines), None if result is None else result[2])
                for first, lines, _, result in columnar.converted(src, str(src), Labeler(), False, workers=workers)
            ]
        )
    assert runs[0] == runs[1] == runs[2]
    assert {result is None for _, _, result in runs[0]} == {True, False}
    assert [first for first, _, _ in runs[0]] == list(range(1, len(kinds) + 1, columnar.LINES))


def test_a_truncated_gzip_is_quarantined_whole_with_its_reason(tmp_path: Path) -> None:
    """A file that starts with gzip's magic bytes but ends early (a copy cut short) costs only itself: the ingest
    names it with the reason and goes on with the other files."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "cut.jsonl").write_bytes(GZIP_MAGIC)
    write(tmp_path / "src" / "good.jsonl", ["good"] * 3)
    result = ingest(tmp_path / "src", "--out", tmp_path / "out", "--set", "intervention=x")
    assert result.code == 0 and len(samples(tmp_path / "out")) == 3
    assert "cut.jsonl — unknown count: EOFError: Compressed file ended before the end-of-stream marker" in result.out
