"""n is distinct transcripts, whoever wrote the files: a sample id in two good files counts once."""

import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.core.schema import SAMPLES
from evalboard.core.view import View
from evalboard.data.store import Store, _repeated
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


# -- the check is incremental (only changed files' ids are read); it must never miss a repeat ---------------------

_FILES = ("a", "b", "c/d", "e")
NULLABLE_IDS = SAMPLES.set(0, SAMPLES.field("sample_id").with_nullable(True))  # as a file from elsewhere may be


@st.composite
def _history(draw):
    """Files written, rewritten and deleted one after another; ids from a small pool so they often repeat."""
    step = st.tuples(
        st.sampled_from(("write", "write", "delete")),
        st.sampled_from(_FILES),
        st.lists(st.one_of(st.integers(0, 12), st.none()), max_size=6),  # None: a row with no sample_id
        st.booleans(),  # also check through a new Store (a new process: it reads what the others saved)
    )
    return draw(st.lists(step, min_size=1, max_size=6))


def _expected(root: Path) -> tuple[dict[str, int], int]:
    """Per file, the distinct ids whose rows there are not an id's first (path order, then row); rows kept."""
    seen, repeats, kept = set(), {}, 0
    for path in sorted((root / "samples").rglob("*.parquet")):
        for sample_id in pq.read_table(path, columns=["sample_id"]).column("sample_id").to_pylist():
            if sample_id is not None and sample_id in seen:
                repeats.setdefault(str(path.relative_to(root / "samples")), set()).add(sample_id)
                continue
            if sample_id is not None:
                seen.add(sample_id)
            kept += 1
    return {name: len(ids) for name, ids in repeats.items()}, kept


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_history())
def test_every_repeated_id_is_found_whatever_changed_before(tmp_path_factory, history):
    root = tmp_path_factory.mktemp("history")
    (root / "samples").mkdir()
    store = Store(root)
    for n, (action, name, ids, fresh) in enumerate(history):
        path = root / "samples" / f"{name}.parquet"
        if action == "delete":
            path.unlink(missing_ok=True)
        else:
            rows = [sample(i) if i is not None else sample(0, sample_id=None) for i in ids]
            write_samples(path, rows, NULLABLE_IDS)
            os.utime(path, ns=(10**18 + n, 10**18 + n))  # a rewrite always changes mtime, as a real one does
        want, kept = _expected(root)
        for checked in (Store(root), store) if fresh else (store,):  # new first: it starts from the saved result
            got = {str(d.path.relative_to(root / "samples")): d.ids for d in checked.health.duplicates}
            assert got == want, (n, history)
            assert checked.run("dataset_totals").row(0, named=True)["samples"] == kept, (n, history)


def test_repeated_hashes_match_a_full_count():
    """The incremental step itself (store._repeated) against counting every hash, on random splits."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        files = [np.sort(rng.integers(0, 30, rng.integers(0, 12)).astype(np.uint64)) for _ in range(rng.integers(1, 6))]
        split = rng.integers(0, len(files) + 1)
        earlier = files[:split] + [np.sort(rng.integers(0, 30, 5).astype(np.uint64))]  # plus a file since dropped
        values, counts = np.unique(np.concatenate(earlier), return_counts=True)
        previous = values[counts > 1]
        values, counts = np.unique(np.concatenate(files), return_counts=True)
        assert _repeated(previous, files[:split], files[split:]).tolist() == values[counts > 1].tolist()
