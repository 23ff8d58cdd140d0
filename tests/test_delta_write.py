"""Issue 24, the write side on a local disk: a new dataset's tables are Delta tables, an existing plain-Parquet
dataset keeps its layout, `evalboard migrate` converts one with identical counts, another engine (polars) reads what
evalboard wrote, reviews are appended to a Delta table once per form, and a commit conflict is said plainly."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from evalboard.commands.migrate import main as migrate_main
from evalboard.core import location as locations
from evalboard.core.schema import SAMPLES, TABLES
from evalboard.data import reviews
from tests import tables
from tests.helpers import REPO
from tests.ingest.test_jsonl import row, write_jsonl
from tests.ingest.util import counts, ingest

DEMO = REPO / "data" / "demo"


def plain_count(dataset: Path, table: str) -> int:
    files = [str(p) for p in sorted((dataset / table).rglob("*.parquet"))]
    return duckdb.execute("SELECT count(*) FROM read_parquet($f, union_by_name = true)", {"f": files}).fetchone()[0]


def test_a_new_dataset_is_written_as_delta_tables_and_an_existing_plain_one_keeps_its_layout(tmp_path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(i, sample_id=f"s{i}") for i in range(6)])
    new = tmp_path / "new"
    first = ingest(src, "--out", new, "-q")
    assert first.code == 0 and counts(first.out)["imported"] == 6
    assert tables.is_delta(new, "samples") and tables.is_delta(new, "transcripts")
    assert tables.count(new, "samples") == (6, 6) and tables.count(new, "transcripts") == (6, 6)
    schema = DeltaTable(str(new / "samples")).to_pyarrow_dataset().schema
    assert schema == TABLES["samples"]  # exactly the canonical arrow schema
    again = ingest(src, "--out", new, "-q")
    assert counts(again.out) == {"records": 6, "imported": 0, "present": 6, "quarantined": 0}
    assert DeltaTable(str(new / "samples")).version() == 0  # nothing new: no commit
    old = tmp_path / "old"
    (old / "samples").mkdir(parents=True)
    pq.write_table(SAMPLES.empty_table(), old / "samples" / "seed.parquet")
    assert ingest(src, "--out", old, "-q").code == 0
    assert not tables.is_delta(old, "samples") and not (old / "samples" / "_delta_log").exists()
    assert tables.count(old, "samples") == (6, 6)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    new = tmp_path_factory.mktemp("migrated") / "demo"
    out, err = io.StringIO(), io.StringIO()
    assert migrate_main([str(DEMO), str(new)], stdout=out, stderr=err) == 0, err.getvalue()
    return new


def test_migrate_turns_the_demo_into_delta_tables_with_identical_counts(migrated) -> None:
    for table in TABLES:
        if (DEMO / table).is_dir():
            assert tables.is_delta(migrated, table), table
            assert tables.read(migrated, table).num_rows == plain_count(DEMO, table), table
    assert (migrated / "dataset.toml").read_bytes() == (DEMO / "dataset.toml").read_bytes()
    err = io.StringIO()
    assert migrate_main([str(DEMO), str(migrated)], stdout=io.StringIO(), stderr=err) == 2  # never appended twice
    assert "already a Delta table" in err.getvalue()


def test_polars_reads_the_delta_tables_with_the_demo_counts_per_intervention(migrated) -> None:
    """Another engine (polars' own Delta reader) over what evalboard wrote == DuckDB over the plain demo."""
    theirs = (
        pl.scan_delta(str(migrated / "samples"))
        .group_by("intervention")
        .agg(pl.len().alias("n"), pl.col("harmful").sum().alias("k"))
        .sort("intervention")
        .collect()
    )
    files = [str(p) for p in sorted((DEMO / "samples").rglob("*.parquet"))]
    ours = duckdb.execute(
        "SELECT intervention, count(*) AS n, sum(harmful::INT) AS k FROM read_parquet($f) GROUP BY 1 ORDER BY 1",
        {"f": files},
    ).fetchall()
    assert [tuple(r) for r in theirs.iter_rows()] == [tuple(r) for r in ours]
    assert len(ours) > 1


def test_reviews_in_a_delta_dataset_are_a_delta_table_written_once_per_form(tmp_path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(i, sample_id=f"s{i}") for i in range(3)])
    out = tmp_path / "data"
    assert ingest(src, "--out", out, "-q").code == 0
    form = reviews.Review("s1", "ann", "harmful", review_id="cafe" * 8)
    first = reviews.write(out, form, once=True)
    assert first == reviews.write(out, form, once=True) == str(out / "reviews")  # a double click stores nothing
    reviews.write(out, reviews.Review("s2", "bob", "unsure"))
    written = tables.read(out, "reviews")
    assert tables.is_delta(out, "reviews") and written.num_rows == 2
    assert written.schema == TABLES["reviews"] and sorted(written["reviewer"].to_pylist()) == ["ann", "bob"]
    assert not (out / "reviews" / ".ids").exists()


def test_a_commit_conflict_past_its_retries_is_one_plain_line(tmp_path) -> None:
    """Two writers delete from one table version: delta-rs rejects the second commit (a real conflict)."""
    uri = str(tmp_path / "t")
    write_deltalake(uri, pa.table({"x": [1, 2, 3]}))
    one, two = DeltaTable(uri), DeltaTable(uri)
    one.delete("x = 1")
    with pytest.raises(CommitFailedError) as caught:
        two.delete("x = 1")
    error = locations.storage_error(caught.value, locations.parse(tmp_path))
    assert error.kind == "conflict" and "conflicted" in str(error) and "\n" not in str(error)
    assert str(error).startswith(f"{tmp_path}: ")
