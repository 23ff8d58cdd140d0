"""Issue 24, the write side under faults: one damaged or missing data file of a Delta table costs an ingest only that
file (named in its summary, its ids not checked), and `evalboard repair` brings the table back to files that all read
through Delta's own FSCK, after which re-importing the source restores every row (docs/ARCHITECTURE.md, "Delta
tables", "A damaged data file"). Real local Delta tables, the real store; the S3 case is in tests/test_delta_read.py."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from evalboard.commands.cli import main as cli_main
from evalboard.commands.repair import main as repair_main
from evalboard.core.exit_codes import EXIT_DATA_INCOMPLETE
from evalboard.data import reviews
from evalboard.data.store import Store
from tests import tables
from tests.helpers import damage_data_pages
from tests.ingest.test_columnar import simple
from tests.ingest.util import Result, counts, ingest


def lines(path: Path, ids: range) -> Path:
    path.write_text("".join(json.dumps(simple(i)) + "\n" for i in ids))
    return path


def repair(*args: object) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = repair_main([str(a) for a in args], stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


def file_rows(uri: str, options: dict[str, str] | None = None) -> dict[str, int]:
    """Each data file of a Delta table's current version (its name inside the table) → its rows, by the log."""
    actions = pa.table(DeltaTable(uri, storage_options=options).get_add_actions(flatten=True)).to_pydict()
    return dict(zip(actions["path"], actions["num_records"], strict=True))


def file_of(out: Path, rows: int) -> str:
    """The name (inside the samples table) of its one data file holding `rows` rows, by the log."""
    [name] = [n for n, count in file_rows(str(out / "samples")).items() if count == rows]
    return name


def store_count(out: Path) -> int:
    return Store(out).run("dataset_totals").item(0, "samples")


@pytest.fixture
def two_imports(tmp_path: Path) -> tuple[Path, Path, str]:
    """A Delta dataset of two imports (c0-c49 from a.jsonl, c100-c109): (the dataset, a.jsonl, its samples file)."""
    out = tmp_path / "data"
    a = lines(tmp_path / "a.jsonl", range(50))
    assert ingest(a, "--out", out, "-q").code == 0
    assert ingest(lines(tmp_path / "c.jsonl", range(100, 110)), "--out", out, "-q").code == 0
    return out, a, file_of(out, 50)


def damage(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        damage_data_pages(path)  # column 0: sample_id, the column the check reads


@pytest.mark.parametrize("how", ["truncated", "missing", "garbled"])
def test_an_ingest_over_a_damaged_samples_file_completes_and_names_it(two_imports, tmp_path, how) -> None:
    out, _, name = two_imports
    damage(out / "samples" / name, how)
    result = ingest(lines(tmp_path / "b.jsonl", range(40, 80)), "--out", out)
    assert result.code == 0, result
    # c40-c49 were only in the damaged file: not seen, so imported again; c50-c79 are new
    assert counts(result.out) == {"records": 40, "imported": 40, "present": 0, "quarantined": 0}
    uri = f"{out}/samples/{name}"
    warning = "warning: 1 data file of the samples table could not be read, so the sample ids it holds were not checked"
    assert warning in result.out
    assert f"  {uri} — 50 rows by its log: " in result.out
    assert f"evalboard repair {out}" in result.out
    if how == "missing":
        assert f"{uri} — 50 rows by its log: missing: the table's log names it" in result.out
    assert f"warning: the data file {uri} (50 rows by its log) cannot be read" in result.err
    assert store_count(out) == 10 + 40  # the damaged file left out; each id once
    assert [lo.file for lo in Store(out).health.left_out] == [f"samples/{name}"]


def test_repair_removes_the_moved_file_from_the_log_and_a_reimport_restores_the_count(two_imports, tmp_path) -> None:
    out, a, name = two_imports
    damaged = out / "samples" / name
    damage(damaged, "truncated")
    assert ingest(lines(tmp_path / "b.jsonl", range(40, 80)), "--out", out, "-q").code == 0
    before = DeltaTable(str(out / "samples")).version()

    present = repair(out)  # the file is there but unreadable: named, not removed
    assert present.code == EXIT_DATA_INCOMPLETE, present
    assert f"samples: 1 data file present but unreadable, still in the log:\n  {damaged} — 50 rows by the log: " in (
        present.out
    )
    assert "move it out of its table (on S3: delete or move the object)" in present.out
    assert DeltaTable(str(out / "samples")).version() == before

    damaged.rename(tmp_path / "aside.parquet")
    dry = repair(out, "--dry-run")
    assert dry.code == EXIT_DATA_INCOMPLETE
    assert f"samples: would remove 1 missing data file from the log:\n  {damaged}" in dry.out
    assert DeltaTable(str(out / "samples")).version() == before

    done = repair(out)
    assert done.code == 0, done
    assert (
        f"samples: removed 1 missing data file from the log (version {before} → {before + 1}):\n"
        f"  {damaged} — 50 rows by the log\n"
    ) in done.out
    assert "removed 1 missing data file (50 rows by the logs). Re-import the sources" in done.out
    assert "transcripts: version" in done.out and "all present" in done.out
    table = DeltaTable(str(out / "samples"))
    assert name not in table.file_uris() and not any(name in f for f in table.file_uris())
    assert table.history(1)[0]["operation"] == "FSCK"
    assert Store(out).health.left_out == ()
    assert store_count(out) == 10 + 40

    again = ingest(a, "--out", out, "-q")  # c0-c39 back; c40-c49 already re-imported
    assert counts(again.out) == {"records": 50, "imported": 40, "present": 10, "quarantined": 0}
    assert store_count(out) == 50 + 10 + 30 and tables.count(out, "samples") == (90, 90)  # c0-c79, c100-c109
    clean = repair(out)
    assert clean.code == 0 and "nothing to repair" in clean.out


def test_repair_through_the_evalboard_command_and_its_bad_arguments(two_imports, tmp_path, capsys) -> None:
    out, _, _ = two_imports
    assert cli_main(["repair", str(out)]) == 0
    assert "samples: version 1, 2 data files, all present" in capsys.readouterr().out
    plain = tmp_path / "plain"
    plain.mkdir()
    assert cli_main(["repair", str(plain)]) == 2
    assert "holds no Delta tables" in capsys.readouterr().err
    assert cli_main(["repair", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_a_file_whose_pages_are_garbled_is_found_by_read_data(two_imports) -> None:
    """FSCK and the footer check see a file with garbled pages as whole; `--read-data` reads every page and names it."""
    out, _, name = two_imports
    damage(out / "samples" / name, "garbled")
    footers = repair(out)
    assert footers.code == 0 and "--read-data reads every page" in footers.out
    pages = repair(out, "--read-data")
    assert pages.code == EXIT_DATA_INCOMPLETE
    assert f"samples: 1 data file present but unreadable, still in the log:\n  {out / 'samples' / name} — 50 rows" in (
        pages.out
    )


def test_a_review_is_saved_once_though_another_reviews_file_is_damaged(two_imports):
    """The Transcripts form's idempotency check (a review id written once per submission) passes over a reviews data
    file that does not read, instead of refusing every review (evalboard/data/reviews.py)."""
    out, _, _ = two_imports
    reviews.write(out, reviews.Review("c1", "ann", "harmful", review_id="r1"), once=True)
    [damaged] = file_rows(str(out / "reviews"))
    damage_data_pages(out / "reviews" / damaged, column=list(reviews.REVIEWS.names).index("review_id"))
    again = reviews.Review("c2", "bob", "not_harmful", review_id="r2")
    reviews.write(out, again, once=True)
    reviews.write(out, again, once=True)  # the same submission twice (a double click): stored once
    store = Store(out)
    assert [lo.file for lo in store.health.left_out] == [f"reviews/{damaged}"]
    assert reviews.all_reviews(store)["review_id"].to_list() == ["r2"]
