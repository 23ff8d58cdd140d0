"""Each format is registered once (docs/ARCHITECTURE.md, "Ingest"): every module of `ingest/formats/` holds one
format class, the registry lists each exactly once, and detection and the pipeline reach formats only through it."""

from __future__ import annotations

import ast
import gzip
import inspect as pyinspect
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalboard.ingest import formats
from evalboard.ingest.detect import sniff
from evalboard.ingest.formats.base import Format
from tests.harness import REPO

FOLDER = REPO / "evalboard" / "ingest" / "formats"


def test_every_format_module_holds_one_registered_format() -> None:
    modules = sorted(p.stem for p in FOLDER.glob("*.py") if p.stem not in ("__init__", "base"))
    registered = {type(f).__module__.rpartition(".")[2]: f for f in formats.REGISTRY}
    assert sorted(registered) == modules
    assert len(formats.REGISTRY) == len(set(formats.FORMATS)) == len(modules)
    for name, fmt in registered.items():
        module = pyinspect.getmodule(fmt)
        classes = [c for _, c in pyinspect.getmembers(module, pyinspect.isclass) if issubclass(c, Format)]
        assert [c for c in classes if c is not Format and c.__module__ == module.__name__] == [type(fmt)], name
        assert formats.get(fmt.name) is fmt


def test_detection_and_the_pipeline_reach_formats_through_the_registry() -> None:
    registry = {"REGISTRY", "FORMATS", "LABEL_FORMATS", "get"}
    for name, allowed in (("detect.py", registry), ("pipeline.py", registry | {"jsonl"})):  # jsonl: columnar's lines
        tree = ast.parse((REPO / "evalboard" / "ingest" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("evalboard.ingest.formats") for a in node.names), name
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evalboard.ingest.formats"):
                if node.module == "evalboard.ingest.formats":
                    assert {a.name for a in node.names} <= allowed, (name, node.lineno)
                else:
                    assert node.module == "evalboard.ingest.formats.base", (name, node.module)


PETRI = b'{"metadata": {"transcript_id": "t", "version": "v3", "eval": 1}}'  # Inspect's keys too: Petri is asked first
RECORD = b'{"sample_id": "a", "harmful": true}\n'
GZIP_REFUSED = "gzip-compressed, but not JSONL: decompress it (gunzip) and import the result"
ZIP_REFUSED = "a zip archive that is not an Inspect .eval log"
CASES = {  # file name, first bytes → (format, why): magic bytes before the name, the name before the first record
    "log.eval": (b"PK\x03\x04 rest", ("inspect", "Inspect log (.eval zip)")),
    "a.zip": (b"PK\x03\x04 rest", (None, ZIP_REFUSED)),
    "b.zip": (b"PK\x03\x04 header.json", ("inspect", "Inspect log (.eval zip)")),
    "c.jsonl": (b"PK\x03\x04 rest", (None, ZIP_REFUSED)),
    "d.eval": (b"not a zip", ("inspect", "Inspect log (.eval), though it does not start like a zip")),
    "e.parquet": (b"not PAR1", ("parquet", "Parquet file, though it does not start with PAR1")),
    "f.jsonl": (b"", ("jsonl", "JSONL (one record per line)")),
    "g.json": (PETRI, ("petri", "Petri transcript")),
    "h.json": (b'\xef\xbb\xbf {"eval": {}, "status": "success"}', ("inspect", "Inspect log (.json)")),
    "i.json": (RECORD, ("jsonl", "JSONL (one record per line)")),
    "j.json": (
        b'{"a": 1,\n "b": 2}',
        (None, "JSON of an unrecognised shape: not an Inspect log, Petri transcript or JSONL"),
    ),
    "k.json": (b'[{"a": 1}]', (None, "a JSON array: records must be one JSON object per line (JSONL)")),
    "l.txt": (b'[{"a": 1}]', (None, "not a format evalboard reads")),
    "u.eval": (PETRI, ("inspect", "Inspect log (.eval), though it does not start like a zip")),
    "v.jsonl": (PETRI, ("jsonl", "JSONL (one record per line)")),
    "n.jsonl.gz": (gzip.compress(PETRI), ("jsonl", "JSONL (one record per line), gzip-compressed")),
    "o.json.gz": (gzip.compress(RECORD), ("jsonl", "JSONL (one record per line), gzip-compressed")),
    "p.json.gz": (
        gzip.compress(b'{"eval": 1, "version": 2}\n'),
        ("jsonl", "JSONL (one record per line), gzip-compressed"),
    ),
    "q.json.gz": (gzip.compress(PETRI), (None, GZIP_REFUSED)),
    "r.eval.gz": (gzip.compress(RECORD), ("jsonl", "JSONL (one record per line), gzip-compressed")),
    "s.parquet.gz": (gzip.compress(RECORD), ("jsonl", "JSONL (one record per line), gzip-compressed")),
    "t.gz": (gzip.compress(b"PK\x03\x04 header.json"), (None, GZIP_REFUSED)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_file_goes_to_the_first_format_that_claims_it(tmp_path: Path, name: str) -> None:
    data, want = CASES[name]
    (tmp_path / name).write_bytes(data)
    found = sniff(tmp_path / name)
    assert (found.format, found.why) == want


def test_scout_results_are_claimed_before_canonical_parquet(tmp_path: Path) -> None:
    pq.write_table(pa.table({"sample_id": ["a"]}), tmp_path / "samples.parquet")
    scout = {"transcript_id": ["t"], "transcript_source_id": ["e"], "value": ["YES"]}
    pq.write_table(pa.table(scout), tmp_path / "eval_awareness.data")
    assert sniff(tmp_path / "samples.parquet").format == "parquet"
    assert sniff(tmp_path / "eval_awareness.data").format == "scout"
