"""Property (issue 22): over random JSONL records — lone surrogates, huge numbers, NaN, deep nesting, odd keys,
values of the wrong type — imported + already present + quarantined == records in, and every parse path decides
every line the same way: Arrow batches or record by record, orjson or the standard library (`records.loads_json`)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.ingest import columnar, pipeline, records
from evalboard.ingest.formats import jsonl
from tests.ingest.test_columnar import simple
from tests.ingest.util import counts, ingest, quarantine, samples

RAW_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 400, str(2**64), str(-(2**63) - 1))
RAW_NUMBERS += (str(2**64 - 1), "1e308", "123456789012345678901234567890", "-0", "1e-400", "0.1")
FIELDS = ("sample_id", "snapshot", "harmful", "score", "stage_step", "epoch", "explanation", "conditions", "messages")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
SURROGATES = st.sampled_from(["\ud83d", "\udc00", "a\udfffb", "\ud800\ud800"])
ODD_VALUES = st.one_of(
    st.sampled_from(RAW_NUMBERS).map(lambda raw: ("raw", raw)),
    SURROGATES,
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(TEXT, TEXT, max_size=2),
    st.sampled_from([3, 511, 512, 900, 1500]).map(lambda d: ("raw", "[" * d + "]" * d)),
)
KEYS = st.one_of(TEXT, SURROGATES, st.sampled_from(FIELDS), st.sampled_from(["model", "source", "created_at"]))


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One JSONL line: usually a good record with a few odd changes; sometimes no object at all."""
    kind = draw(st.sampled_from(["record", "record", "record", "record", "truncated", "scalar", "raw-surrogate"]))
    record: dict[str, Any] = simple(draw(st.integers(0, 12)))
    raws: dict[str, str] = {}
    for _ in range(draw(st.integers(0, 3))):
        key, value = draw(KEYS), draw(ODD_VALUES)
        if draw(st.booleans()) and key not in ("conditions", "messages"):
            record.pop(key, None)
            continue
        if isinstance(value, tuple):  # text JSON cannot hold as a value: NaN, 1e400, deep nesting
            raws[marker := f"@raw{len(raws)}@"] = value[1]
            value = marker
        where = draw(st.sampled_from(["top", "conditions", "message"]))
        if where == "conditions" and isinstance(record.get("conditions"), dict):
            record["conditions"][key] = value
        elif where == "message" and isinstance(record.get("messages"), list) and record["messages"]:
            record["messages"][0][draw(st.sampled_from(["content", "role", key]))] = value
        else:
            record[key] = value
    text = json.dumps(record)  # lone surrogates become \\udXXX escapes: valid JSON text, invalid UTF-8 once decoded
    for marker, raw in raws.items():
        text = text.replace(json.dumps(marker), raw)
    if kind == "truncated":
        return text[: draw(st.integers(1, max(1, len(text) - 1)))].encode()
    if kind == "scalar":
        return draw(st.sampled_from([b"[1, 2]", b"1", b"null", b'"text"']))
    if kind == "raw-surrogate":  # the surrogate's UTF-8 bytes themselves, not an escape
        return json.dumps(record, ensure_ascii=False).replace("Done.", "Done\ud83d").encode("utf-8", "surrogatepass")
    return text.encode()


MODES = {  # name → (Arrow batches, the record parser)
    "columnar-orjson": (True, records.loads),
    "records-orjson": (False, records.loads),
    "columnar-json": (True, records.loads_json),
    "records-json": (False, records.loads_json),
}


def _transcripts(out: Path) -> list[tuple]:
    files = [str(f) for f in sorted((out / "transcripts").glob("*.parquet"))]
    if not files:
        return []
    return duckdb.execute("SELECT sample_id, messages FROM read_parquet($f) ORDER BY 1", {"f": files}).fetchall()


def _decisions(out: Path) -> tuple[list[dict], list[tuple], list[tuple[str, str]]]:
    """Rows, transcripts and (position, reason's kind) of the quarantine: what the ingest decided."""
    bad = sorted((q["position"], q["reason"].split(":")[0].split(" (")[0]) for q in quarantine(out))
    return samples(out), _transcripts(out), bad


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(lines(), min_size=1, max_size=12), per_batch=st.integers(1, 5))
def test_every_parse_path_decides_every_line_the_same_way(
    body: list[bytes], per_batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert records.loads is not records.loads_json, "this test needs orjson importable to compare both parsers"
    monkeypatch.setattr(columnar, "LINES", per_batch)  # batches that mix good and odd lines
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "records.jsonl"
        src.write_bytes(b"\n".join(body) + b"\n")
        n = sum(1 for line in body if line.strip())
        decided = {}
        for name, (batches, parser) in MODES.items():
            monkeypatch.setattr(pipeline, "COLUMNAR", batches)
            monkeypatch.setattr(jsonl, "loads", parser)
            out = Path(tmp) / name
            result = ingest(src, "--out", out, "-q", "--ungraded-ok")
            assert result.code in (0, 1), result
            got = counts(result.out)
            assert got["records"] == n and got["imported"] + got["present"] + got["quarantined"] == n, result.out
            decided[name] = _decisions(out)
            if name == "columnar-orjson":  # a re-run: what was imported is already present, the rest as before
                again = counts(ingest(src, "--out", out, "-q", "--ungraded-ok").out)
                assert again == {**got, "imported": 0, "present": got["imported"] + got["present"]}
        first = decided["columnar-orjson"]
        for name, other in decided.items():
            assert other[2] == first[2], (name, "quarantine differs")
            assert other[0] == first[0], (name, "rows differ")
            assert other[1] == first[1], (name, "transcripts differ")
