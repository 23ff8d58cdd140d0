"""n is distinct transcripts, whoever wrote the files: a sample id in two good files counts once."""

import shutil

from evalboard.store import Store
from evalboard.view import View
from tests.helpers import sample, write_samples


def _counts(store: Store) -> dict[str, tuple[int, int, int]]:
    frame = store.run("rate_by_intervention", View().params())
    return {r["intervention"]: (r["k"], r["n"], r["ungraded"]) for r in frame.to_dicts()}


def test_a_copied_file_does_not_double_counts(tmp_path):
    rows = [sample(i) for i in range(10)] + [sample(20, harmful=None, error="timeout")]
    part = write_samples(tmp_path / "samples" / "part.parquet", rows)
    store = Store(tmp_path)
    before = _counts(store)
    assert before == {"baseline": (5, 10, 1)}
    shutil.copy(part, tmp_path / "samples" / "part-copy.parquet")  # copied by hand, not through ingest
    assert _counts(store) == before
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 11
    # "part-copy.parquet" sorts before "part.parquet" ('-' < '.'), so the copy's rows are the ones counted.
    dup = store.health.duplicates
    assert [(d.path.name, d.ids) for d in dup] == [("part.parquet", 11)]
    again = Store(tmp_path)  # a new process finds the result saved beside the data instead of querying again
    assert _counts(again) == before and again.health.duplicates == dup
    assert len(list((tmp_path / ".index" / "rollups").glob("duplicates-*.parquet"))) == 1


def test_a_repeated_id_within_a_file_counts_once_from_the_first_row(tmp_path):
    rows = [sample(1, harmful=True), sample(1, harmful=False), sample(2, harmful=False)]
    write_samples(tmp_path / "samples" / "part.parquet", rows)
    store = Store(tmp_path)
    assert _counts(store) == {"baseline": (1, 2, 0)}
    assert [(d.path.name, d.ids) for d in store.health.duplicates] == [("part.parquet", 1)]


def test_the_first_file_by_path_order_wins(tmp_path):
    write_samples(tmp_path / "samples" / "b.parquet", [sample(1, harmful=False)])
    write_samples(tmp_path / "samples" / "a" / "x.parquet", [sample(1, harmful=True, intervention="safe_demos")])
    store = Store(tmp_path)
    assert _counts(store) == {"safe_demos": (1, 1, 0)}
    assert [(d.path.name, d.ids) for d in store.health.duplicates] == [("b.parquet", 1)]


def test_no_duplicates_no_report(tmp_path):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(1)])
    write_samples(tmp_path / "samples" / "b.parquet", [sample(2)])
    store = Store(tmp_path)
    assert store.health.duplicates == ()
    assert _counts(store) == {"baseline": (1, 2, 0)}


def test_data_health_names_the_file_that_repeats_ids(tmp_path, monkeypatch):
    from tests.harness import app_test

    rows = [sample(i) for i in range(10)]
    write_samples(tmp_path / "samples" / "a.parquet", rows)
    write_samples(tmp_path / "samples" / "b.parquet", rows[:4] + [sample(50, harmful=None)])
    at = app_test(page="data_health", data=tmp_path, monkeypatch=monkeypatch, timeout=60)
    assert not at.exception
    [warning] = [w.value for w in at.warning if "sample ids" in w.value]
    assert "b.parquet" in warning and "4 sample ids" in warning and "counts once" in warning
    assert [m.value for m in at.metric][:3] == ["11", "10", "1"]  # distinct samples, graded, ungraded
