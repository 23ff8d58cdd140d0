"""Property: over any mix of good and broken files, imported + already present + quarantined == records in."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.ingest import columnar
from tests.ingest.test_columnar import simple
from tests.ingest.test_jsonl import row
from tests.ingest.util import ingest, ingest_log, quarantine, samples

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed")
from tests.ingest.inspect_logs import make_log  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EVAL_SAMPLES = 4


@pytest.fixture(scope="module")
def eval_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prop_logs")
    return make_log(
        root, [{"id": f"e{i}", "metadata": {"verdict": "C" if i % 2 else "I"}} for i in range(EVAL_SAMPLES)]
    )


def _jsonl(ids: list[int], bad: int) -> bytes:
    lines = [json.dumps(row(i)) for i in ids] + ["{broken" for _ in range(bad)]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def _fast_jsonl(ids: list[int], bad: int) -> bytes:
    """Lines the columnar path takes, with `bad` broken lines spread among them (so one batch holds both)."""
    lines = [json.dumps(simple(i)) for i in ids]
    for k in range(bad):
        lines.insert((k * 3) % (len(lines) + 1), "{broken")
    return ("\n".join(lines) + "\n").encode() if lines else b""


def _corrupt(data: bytes, log: Path, index: int) -> bytes:
    with zipfile.ZipFile(log) as zf:
        info = [i for i in zf.infolist() if i.filename.startswith("samples/")][index]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    out = bytearray(data)
    for i in range(start + 2, start + min(info.compress_size - 2, 30)):
        out[i] ^= 0x33
    return bytes(out)


FILE = st.one_of(
    st.tuples(st.just("jsonl"), st.lists(st.integers(0, 30), max_size=6), st.integers(0, 3)),
    st.tuples(st.just("fast"), st.lists(st.integers(0, 30), max_size=8), st.integers(0, 3)),
    st.tuples(st.just("eval"), st.sampled_from(["good", "corrupt", "truncated"]), st.integers(0, EVAL_SAMPLES - 1)),
    st.tuples(st.just("odd"), st.none(), st.none()),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(FILE, min_size=1, max_size=6), twice=st.booleans())
def test_imported_plus_quarantined_is_records_in(
    eval_log: Path, files: list[tuple], twice: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "LINES", 3)  # several JSONL batches per file, some with a broken line
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        src.mkdir()
        known, unknown = 0, 0
        data = eval_log.read_bytes()
        for n, (kind, a, b) in enumerate(files):
            if kind in ("jsonl", "fast"):
                (src / f"f{n}.jsonl").write_bytes((_jsonl if kind == "jsonl" else _fast_jsonl)(a, b))
                known += len(a) + b
            elif kind == "eval":
                body = {"good": data, "corrupt": _corrupt(data, eval_log, b), "truncated": data[:-200]}[a]
                (src / f"f{n}.eval").write_bytes(body)
                known += EVAL_SAMPLES
            else:
                (src / f"f{n}.json").write_text('{\n  "not": "a log"\n}\n')
                unknown += 1
        runs = 2 if twice else 1
        for _ in range(runs):
            result = ingest(src, "--out", out)
            assert result.code in (0, 1), result
        log = ingest_log(out)
        assert sum(e["records"] for e in log) == known * runs
        assert sum(e["imported"] + e["already_present"] + e["rejected"] for e in log) == known * runs
        assert sum(1 for e in log if e["unknown_count"]) == unknown * runs
        assert sum(e["imported"] for e in log) == len(samples(out))  # every imported row is on disk, once
        ids = [r["sample_id"] for r in samples(out)]
        assert len(ids) == len(set(ids))
        quarantined = sum(q["records"] if isinstance(q.get("records"), int) else 1 for q in quarantine(out))
        assert quarantined == sum(e["rejected"] for e in log) + unknown * runs
        shutil.rmtree(out)
