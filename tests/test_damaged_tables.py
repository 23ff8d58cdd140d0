"""Data health names every damaged file as soon as the store opens the dataset (issue 22, items 7 and 8): transcripts,
verdicts, awareness, reviews, and the ingest log's bad lines (the rest of the log still shows); the viewer says a
transcript is in a damaged file; a search says how much it could not search. Real files, the real store, AppTest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from streamlit.testing.v1 import AppTest

from evalboard.core.schema import AWARENESS, REVIEWS, VERDICTS
from evalboard.data.store import Store
from tests.helpers import REPO, damage_data_pages
from tests.test_bad_files import good_dataset

APP = str(REPO / "app.py")
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def further_tables(root: Path) -> list[str]:
    """One verdicts, awareness and reviews file each, their data pages damaged; return their relative paths."""
    tables = {
        "verdicts": (VERDICTS, {"sample_id": "t-000001", "source": "second", "harmful": True, "created_at": NOW}),
        "awareness": (AWARENESS, {"sample_id": "t-000001", "source": "lab", "awareness": "real", "created_at": NOW}),
        "reviews": (
            REVIEWS,
            {"review_id": "r1", "sample_id": "t-000001", "reviewer": "ann", "created_at": NOW, "verdict": "harmful"},
        ),
    }
    made = []
    for table, (schema, row) in tables.items():
        path = root / table / "bad.parquet"
        path.parent.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist([row] * 50, schema=schema), path)
        damage_data_pages(path)
        made.append(f"{table}/bad.parquet")
    return made


def test_every_damaged_file_is_named_when_the_store_opens(tmp_path: Path) -> None:
    root = good_dataset(tmp_path)
    bad = further_tables(root)
    [transcripts] = (root / "transcripts").glob("*.parquet")
    damage_data_pages(transcripts, 1)
    health = Store(root).health  # no query has run
    named = {str(f.path.relative_to(root)): f.problem for f in health.rejected}
    assert sorted(named) == sorted([*bad, "transcripts/good.parquet"])
    assert all(p.startswith("damaged data") for p in named.values())


def test_the_viewer_says_the_transcript_is_in_a_damaged_file(tmp_path: Path, monkeypatch) -> None:
    root = good_dataset(tmp_path)
    [transcripts] = (root / "transcripts").glob("*.parquet")
    damage_data_pages(transcripts, 1)
    monkeypatch.setenv("EVALBOARD_DATA", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["sample"] = "t-000003"
    at.run()
    at.switch_page("pages/transcripts.py").run()
    assert not at.exception
    assert any(
        "transcript of this sample is not available: its transcripts file ` transcripts/good.parquet ` is damaged"
        in w.value
        for w in at.warning
    ), [w.value for w in at.warning]


def test_a_search_says_what_it_could_not_search(tmp_path: Path, monkeypatch) -> None:
    root = good_dataset(tmp_path)
    [transcripts] = (root / "transcripts").glob("*.parquet")
    damage_data_pages(transcripts, 1)
    monkeypatch.setenv("EVALBOARD_DATA", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["q"] = "hello"
    at.run()
    at.switch_page("pages/transcripts.py").run()
    assert not at.exception
    assert any(
        "1 file(s) could not be read and were not searched (80 rows): ` transcripts/good.parquet ` (transcripts)"
        in w.value
        for w in at.warning
    ), [w.value for w in at.warning]


def test_a_cut_short_ingest_log_line_does_not_stop_data_health(tmp_path: Path, monkeypatch) -> None:
    root = good_dataset(tmp_path)
    line = {"source": "a.jsonl", "format": "jsonl", "records": 80, "imported": 80, "finished_at": "2026-01-01"}
    later = dict(line, source="b.jsonl", finished_at="2026-01-02")
    (root / "ingest_log.jsonl").write_text(json.dumps(line) + "\n" + json.dumps(later)[:30] + "\n" + json.dumps(later))
    monkeypatch.setenv("EVALBOARD_DATA", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data_health.py").run()
    assert not at.exception and not [e.value for e in at.error]
    assert any("line 2: not a JSON record" in w.value for w in at.warning), [w.value for w in at.warning]
    shown = "\n".join(str(t.value) for t in at.table)
    assert "a.jsonl" in shown and "b.jsonl" in shown
