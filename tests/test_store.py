import os
import time

import pyarrow as pa
import pytest

from evalboard.core.schema import REQUIRED_SAMPLE_COLUMNS, SAMPLES
from evalboard.core.view import View
from evalboard.data.store import QueryError, Store
from evalboard.screens import metrics
from tests.helpers import sample, write_samples


@pytest.fixture
def dataset(tmp_path):
    rows = [sample(i) for i in range(10)]  # 5 harmful of 10
    rows += [sample(100 + i, intervention="safe_demos", harmful=i < 1) for i in range(10)]  # 1 of 10
    rows += [sample(200, intervention="safe_demos", harmful=None, error="grader timeout")]
    rows += [sample(300 + i, scenario_family="leaking", snapshot="snap-b", harmful=True) for i in range(4)]
    write_samples(tmp_path / "samples" / "part-1.parquet", rows)
    return tmp_path


def test_rate_by_intervention_counts(dataset):
    frame = Store(dataset).run("rate_by_intervention", View().params())
    got = {r["intervention"]: (r["k"], r["n"], r["ungraded"]) for r in frame.to_dicts()}
    assert got == {"baseline": (9, 14, 0), "safe_demos": (1, 10, 1)}


def test_filters_are_bound_lists(dataset):
    store = Store(dataset)
    frame = store.run("rate_by_family", View(snapshots=("snap-b",)).params())
    assert frame.to_dicts() == [{"scenario_family": "leaking", "intervention": "baseline", "n": 4, "k": 4}]
    # An injection attempt is just a value that matches nothing.
    frame = store.run("rate_by_intervention", View(families=("' OR 1=1 --",)).params())
    assert frame.is_empty()


def test_rates_add_wilson_intervals(dataset):
    frame = metrics.rates(Store(dataset), "rate_by_intervention", View())
    row = frame.filter(frame["intervention"] == "safe_demos").row(0, named=True)
    assert row["rate"] == pytest.approx(0.1) and 0 < row["lo"] < 0.1 < row["hi"] < 1


def test_stage_order_follows_training(dataset):
    write_samples(
        dataset / "samples" / "part-2.parquet",
        [sample(400, training_stage="sft", stage_step=0), sample(401, training_stage="pretrained", stage_step=0)],
    )
    frame = Store(dataset).run("rate_by_stage", View().params())
    assert frame["training_stage"].to_list()[:3] == ["pretrained", "sft", "rl"]


def test_filter_options(dataset):
    options = metrics.filter_options(Store(dataset))
    assert options["intervention"] == ["baseline", "safe_demos"]
    assert options["family"] == ["blackmail", "leaking"]
    assert options["snapshot"] == ["snap-a", "snap-b"]


def test_corrupt_and_off_schema_files_are_skipped_and_listed(dataset):
    (dataset / "samples" / "broken.parquet").write_bytes(b"PAR1 garbage")
    off = pa.schema([f for f in SAMPLES if f.name != "scenario_family"])
    write_samples(dataset / "samples" / "off.parquet", [sample(900)], off)
    store = Store(dataset)
    health = store.refresh()
    reasons = {f.path.name: f.problem for f in health.rejected}
    assert set(reasons) == {"broken.parquet", "off.parquet"}
    assert "missing column 'scenario_family'" in reasons["off.parquet"]
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 25  # the good file still loads


def test_new_files_appear_without_restart_and_cache_invalidates(dataset):
    store = Store(dataset)
    before = store.run("dataset_totals").row(0, named=True)["samples"]
    path = write_samples(dataset / "samples" / "part-9.parquet", [sample(999, snapshot="snap-new")])
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)
    assert store.run("dataset_totals").row(0, named=True)["samples"] == before + 1
    assert "snap-new" in metrics.filter_options(store)["snapshot"]


def test_missing_and_empty_folders(tmp_path):
    missing = Store(tmp_path / "nope")
    assert not missing.refresh().exists
    assert not missing.refresh().has_samples
    assert missing.run("rate_by_intervention", View().params()).is_empty()
    (tmp_path / "empty" / "samples").mkdir(parents=True)
    empty = Store(tmp_path / "empty")
    assert empty.refresh().exists and not empty.refresh().has_samples
    assert metrics.filter_options(empty) == {
        k: [] for k in ("snapshot", "intervention", "stage", "family", "grader")
    } | {"source": ["primary"]}


def test_optional_columns_may_be_absent(tmp_path):
    minimal = pa.schema([SAMPLES.field(c) for c in REQUIRED_SAMPLE_COLUMNS])
    write_samples(tmp_path / "samples" / "min.parquet", [sample(1)], minimal)
    frame = Store(tmp_path).run("rate_by_intervention", View(graders=()).params())
    assert frame.row(0, named=True)["n"] == 1


def test_query_errors_are_named(dataset):
    store = Store(dataset)
    with pytest.raises(QueryError, match="needs parameters"):
        store.run("rate_by_intervention", {})
    with pytest.raises(QueryError, match="bad query name"):
        store.run("../etc/passwd")
