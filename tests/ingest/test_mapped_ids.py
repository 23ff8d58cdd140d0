"""A renamed sample (`--map sample_id=…`, `--set sample_id=…`) takes its verdicts and awareness labels along."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.helpers import REPO
from tests.ingest.util import assert_adds_up, ingest, samples

PETRI = REPO / "tests" / "fixtures" / "ingest" / "transcript_2026-01-15_13-30-22_1.json"


def ids(out: Path, table: str) -> set[str]:
    files = [str(f) for f in (out / table).glob("*.parquet")]
    return {r[0] for r in duckdb.execute("SELECT sample_id FROM read_parquet($f)", {"f": files}).fetchall()}


def test_mapped_sample_id_reaches_verdicts_and_awareness(tmp_path: Path) -> None:
    obj = json.loads(PETRI.read_text())
    obj["metadata"]["judge_output"]["scores"]["eval_awareness"] = 7
    obj["metadata"]["run_label"] = "renamed-7"
    source = tmp_path / "transcript_2026-01-15_13-30-22_1.json"
    source.write_text(json.dumps(obj))
    for how, pair, want in (("--map", "sample_id=metadata.run_label", "renamed-7"), ("--set", "sample_id=x", "x")):
        out = tmp_path / how.strip("-")
        result = ingest(source, "--out", out, "--threshold", "5", "--awareness-threshold", "6", how, pair)
        assert result.code == 0, result
        assert [r["sample_id"] for r in samples(out)] == [want]
        assert ids(out, "verdicts") == {want} and ids(out, "awareness") == {want}
        assert_adds_up(out)
