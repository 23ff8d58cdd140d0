"""Paths where a record could slip between imported and quarantined: a file gone between the walk and its
reading, a dataset folder that cannot be written after the lock is taken, an existing file that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalboard.ingest import cli
from tests.helpers import damage_data_pages
from tests.ingest.test_columnar import simple
from tests.ingest.util import assert_adds_up, ingest, ingest_log, quarantine, samples


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


def test_a_damaged_existing_file_stops_the_ingest_and_names_it(tmp_path: Path, out: Path) -> None:
    """The de-duplication query cannot read an existing file (its footer reads, its data does not): that is the
    writer failing, not the source — the ingest stops with exit 1, names the file, publishes nothing of the
    source, logs it as stopped with an unknown rest, and releases the lock."""
    assert ingest(lines(tmp_path / "a.jsonl", range(50)), "--out", out).code == 0
    [existing] = (out / "samples").glob("*.parquet")
    damage_data_pages(existing)
    src = lines(tmp_path / "b.jsonl", range(40, 80))
    result = ingest(src, "--out", out)
    assert result.code == 1
    assert f"the existing file {existing} is damaged" in result.err and "run the same command again" in result.err
    assert f"{src}: 0 of its records were written" in result.err
    assert list((out / "samples").glob("*.parquet")) == [existing] and not list(out.rglob("*.tmp"))
    last = ingest_log(out)[-1]
    assert last["source"] == str(src) and last["problem"].startswith("stopped: cannot check for duplicates")
    assert (last["records"], last["imported"], last["unknown_count"]) == (0, 0, True)
    existing.rename(tmp_path / "aside.parquet")
    again = ingest(src, "--out", out)  # the lock was released
    assert again.code == 0 and "imported 40" in again.out
