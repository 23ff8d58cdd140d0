"""Paths where a record could slip between imported and quarantined: a file gone between the walk and its
reading, a dataset folder that cannot be written after the lock is taken, an existing file that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalboard.commands import ingest as cli
from tests import tables
from tests.helpers import damage_data_pages
from tests.ingest.test_columnar import simple
from tests.ingest.util import assert_adds_up, counts, ingest, ingest_log, quarantine, samples
from tests.tables import seed_plain


def lines(path: Path, ids: range) -> Path:
    path.write_text("".join(json.dumps(simple(i)) + "\n" for i in ids))
    return path


def test_a_file_removed_after_the_walk_is_quarantined_by_name(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    lines(src / "a.jsonl", range(3))
    gone = lines(src / "b.jsonl", range(10, 12))
    walk = cli.discover

    def walk_then_remove(*args, **kwargs):  # the file disappears between discovery and reading
        found = walk(*args, **kwargs)
        gone.unlink()
        return found

    monkeypatch.setattr(cli, "discover", walk_then_remove)
    result = ingest(src, "--out", out)
    assert result.code == 0, result
    assert [r["sample_id"] for r in samples(out)] == ["c0", "c1", "c2"]
    [entry] = [q for q in quarantine(out) if Path(q["source"]).name == "b.jsonl"]
    assert "FileNotFoundError" in entry["reason"] and entry["records"] == "unknown"
    assert "b.jsonl" in result.out and "unknown count" in result.out
    assert [e["unknown_count"] for e in ingest_log(out)] == [False, True]
    assert_adds_up(out)


def test_a_write_failure_after_the_lock_stops_loudly_and_publishes_nothing(tmp_path: Path, out: Path) -> None:
    """The quarantine cannot be written (a file where its folder goes): the ingest stops with exit 1 and a
    message rather than drop the bad line; nothing it staged is published, and the lock is released."""
    src = lines(tmp_path / "a.jsonl", range(5))
    with src.open("a") as fh:
        fh.write("{broken\n")
    out.mkdir()
    (out / "quarantine").write_text("in the way")
    result = ingest(src, "--out", out)
    assert result.code == 1 and "cannot write the quarantine file" in result.err
    assert not list(out.rglob("*.parquet")) and not list(out.rglob("*.staged"))
    (out / "quarantine").unlink()
    assert ingest(src, "--out", out).code == 0  # the lock was released
    assert len(samples(out)) == 5 and len(quarantine(out)) == 1
    assert_adds_up(out)


def test_a_damaged_existing_file_is_named_and_its_records_imported_again(tmp_path: Path, out: Path) -> None:
    """An existing file whose footer reads but whose data does not is left out by the store, so its ids are not
    "already present": the ingest names it and imports them again from the source that holds them (issue 22). A
    plain-Parquet dataset's rule (a Delta table's file is named in its log: see the next test)."""
    seed_plain(out)
    assert ingest(lines(tmp_path / "a.jsonl", range(50)), "--out", out).code == 0
    [existing] = [p for p in (out / "samples").glob("*.parquet") if p.name != "seed.parquet"]
    damage_data_pages(existing)
    src = lines(tmp_path / "b.jsonl", range(40, 80))
    result = ingest(src, "--out", out)
    assert result.code == 0, result
    assert f"{existing}: damaged data" in result.err and "not taken as already present" in result.err
    assert "imported 40" in result.out  # 40-49 lived only in the damaged file
    existing.rename(tmp_path / "aside.parquet")
    assert [r["sample_id"] for r in samples(out)] == [f"c{i}" for i in range(40, 80)]
    assert not list(out.rglob("*.tmp"))


def test_a_damaged_file_of_a_delta_table_costs_only_itself(tmp_path: Path, out: Path) -> None:
    """A Delta table's data file whose key column does not read is left out of the duplicate check and named (its log
    still names it: `evalboard repair`, tests/test_delta_repair.py): the ingest completes, exit 0, and the ids only it
    held are imported again; the app counts each once."""
    assert ingest(lines(tmp_path / "a.jsonl", range(50)), "--out", out).code == 0
    [existing] = tables.files(out, "samples")
    damage_data_pages(Path(existing))
    result = ingest(lines(tmp_path / "b.jsonl", range(40, 80)), "--out", out)
    assert result.code == 0, result
    assert counts(result.out) == {"records": 40, "imported": 40, "present": 0, "quarantined": 0}
    assert "1 data file of the samples table could not be read" in result.out
    assert f"{existing} — 50 rows by its log: " in result.out
    assert f"the data file {existing} (50 rows by its log) cannot be read" in result.err
    assert existing in tables.files(out, "samples") and len(tables.files(out, "samples")) == 2
