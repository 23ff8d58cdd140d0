"""Per-file rollups give exactly what the scan gives, for every query that reads them (docs/ARCHITECTURE.md,
"Rollups"); one folder scan per script run."""

import shutil
import time
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalboard.core.paths import QUERIES_DIR
from evalboard.core.schema import SAMPLES, VERDICTS
from evalboard.core.view import View
from evalboard.data.store import ROLLUP_DIR, QueryError, Store
from evalboard.screens.transcripts import cell_params
from tests.helpers import REPO, sample, write_samples

SCAN_QUERIES = REPO / "tests" / "fixtures" / "scan_queries"
ROLLED_UP = (
    "rate_by_intervention",
    "rate_by_stage",
    "rate_by_family",
    "compare_cells",
    "readiness_counts",
    "filter_options",
    "dataset_totals",
    "readiness_candidates",
    "compare_options",
    "cell_counts",
)
NO_VARIABLE = {"variable": None, "value": None}
CELLS = [  # cell_counts: a checkpoint step, an eval-awareness class, a scenario variable's value on top of the view
    {"step": None, "believed": None, "awareness_source": ""} | NO_VARIABLE,
    {"step": 100, "believed": None, "awareness_source": ""} | NO_VARIABLE,
    {"step": 0, "believed": "unlabelled", "awareness_source": "scout"} | NO_VARIABLE,
    {"step": None, "believed": "evaluation", "awareness_source": "scout"} | NO_VARIABLE,
    {"step": None, "believed": None, "awareness_source": "", "variable": "scenario_family", "value": "leaking"},
]
VIEWS = [
    View(),
    View(snapshots=("snap-b",)),
    View(families=("leaking", "murder"), graders=("grader-2",)),
    View(interventions=("safe_demos",), stages=("rl",)),
    View(source="judge-2"),
    View(families=("blackmail",), source="judge-2"),
]


def _scan_queries(tmp_path):
    """queries/ as it was before rollups (tests/fixtures/scan_queries/): each aggregate scans the samples."""
    folder = tmp_path / "scan-queries"
    shutil.copytree(QUERIES_DIR, folder)
    for name in ROLLED_UP:
        shutil.copy(SCAN_QUERIES / f"{name}.sql", folder / f"{name}.sql")
    return folder


def _params(name: str, view: View, cell: dict = CELLS[0]) -> dict:
    params = view.params()
    if name in ("filter_options", "dataset_totals", "readiness_candidates", "compare_options"):
        return {}
    if name in ("compare_cells",):
        return {k: params[k] for k in ("families", "graders", "source")}
    if name == "readiness_counts":
        return {"source": params["source"]}
    if name == "cell_counts":
        return cell_params(params | cell)
    return params


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "data"
    rows = []
    for i in range(300):
        rows.append(
            sample(
                i,
                snapshot=["snap-a", "snap-b", "snap-c"][i % 3],
                intervention=["baseline", "safe_demos"][i % 2],
                training_stage=["pretrained", "sft", "rl", "rl"][i % 4],
                stage_step=[0, 0, 100, 200][i % 4],
                scenario_family=["blackmail", "leaking", "murder"][(i // 3) % 3],
                grader=[None, "grader-1", "grader-2"][(i // 5) % 3],
                harmful=[True, False, None, True, False][(i // 7) % 5],
                created_at=datetime(2026, 1, 1 + i % 20, tzinfo=UTC),
            )
        )
    for k in range(4):
        write_samples(root / "samples" / f"part-{k}.parquet", rows[k * 75 : (k + 1) * 75])
    # A file written before `grader` and `created_at` existed: they read as NULL.
    old = pa.Table.from_pylist([sample(1000 + i, harmful=i % 3 == 0) for i in range(12)], schema=SAMPLES)
    root.joinpath("samples", "old").mkdir()
    pq.write_table(old.drop_columns(["grader", "created_at"]), root / "samples" / "old" / "part.parquet")
    verdicts = [
        {"sample_id": f"t-{i:06d}", "source": "judge-2", "harmful": i % 4 == 0, "score": None, "explanation": None,
         "grader": "j2", "created_at": datetime(2026, 2, 1, tzinfo=UTC)}
        for i in range(0, 300, 2)
    ]  # fmt: skip
    root.joinpath("verdicts").mkdir()
    pq.write_table(pa.Table.from_pylist(verdicts, schema=VERDICTS), root / "verdicts" / "v.parquet")
    return root


def test_every_rolled_up_query_equals_the_scan(dataset, tmp_path):
    rolled, scan = Store(dataset), Store(dataset, queries_dir=_scan_queries(tmp_path), rollups=False)
    for name in ROLLED_UP:
        for view in VIEWS:
            for cell in CELLS if name == "cell_counts" else [{}]:
                params = _params(name, view, cell)
                got, want = rolled.run(name, params), scan.run(name, params)
                assert got.schema == want.schema, name
                assert got.equals(want), (name, view, cell)
                assert not want.is_empty() or name != "rate_by_intervention"
    empty = cell_params(View(snapshots=("no-such-snapshot",)).params() | CELLS[0])
    assert rolled.run("cell_counts", empty).equals(scan.run("cell_counts", empty))
    assert rolled.run("cell_counts", empty).row(0) == (0, 0, 0)


def test_rollups_are_cached_beside_the_data_and_follow_a_changed_file(dataset):
    store = Store(dataset)
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 312
    cached = sorted((dataset / ROLLUP_DIR).glob("rollup-*.parquet"))
    assert len(cached) == 5
    time.sleep(0.01)
    write_samples(dataset / "samples" / "part-0.parquet", [sample(5000, harmful=True)])  # replaced: 75 rows → 1
    assert Store(dataset).run("dataset_totals").row(0, named=True)["samples"] == 312 - 75 + 1
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 312 - 75 + 1
    assert len(list((dataset / ROLLUP_DIR).glob("rollup-*.parquet"))) == 5  # the old one removed


def test_a_folder_where_rollups_cannot_be_written_still_works(dataset):
    (dataset / ".index").write_text("not a folder")  # so .index/rollups cannot be created, as on a read-only mount
    store = Store(dataset)
    frame = store.run("rate_by_intervention", View().params())
    assert frame["n"].sum() + frame["ungraded"].sum() == 312


def test_a_file_added_between_runs_is_seen_by_the_next_run(dataset):
    store = Store(dataset)
    store.refresh(new_run=True)
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 312
    write_samples(dataset / "samples" / "late.parquet", [sample(7000)])
    # Within the same run the scan made at its start is reused: the late file waits for the next run.
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 312
    store.refresh(new_run=True)
    assert store.run("dataset_totals").row(0, named=True)["samples"] == 313


# -- each sample id counts once, whichever files hold it --------------------------------------------------------


@st.composite
def _split(draw):
    """Graded/ungraded samples spread over files, some ids written again (in another file or the same one)."""
    count = draw(st.integers(1, 30))
    verdicts = draw(st.lists(st.sampled_from([True, False, None]), min_size=count, max_size=count))
    files = draw(st.integers(1, 4))
    placed = [draw(st.integers(0, files - 1)) for _ in range(count)]
    again = draw(st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, files - 1)), max_size=15))
    return verdicts, files, placed, again


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_split())
def test_n_is_distinct_graded_ids_for_any_split_of_files(tmp_path_factory, split):
    verdicts, files, placed, again = split
    root = tmp_path_factory.mktemp("split")

    def row(i):
        return sample(i, harmful=verdicts[i], scenario_family=["blackmail", "leaking"][i % 2],
                      intervention=["baseline", "safe_demos"][i // 2 % 2])  # fmt: skip

    per_file = [[row(i) for i, f in enumerate(placed) if f == k] for k in range(files)]
    for i, k in again:
        per_file[k].append(row(i))
    for k, rows in enumerate(per_file):
        if rows:
            write_samples(root / "samples" / f"f{k}.parquet", rows)
    graded = sum(v is not None for v in verdicts)
    store = Store(root)
    for name in ("rate_by_intervention", "rate_by_stage", "rate_by_family", "compare_cells", "readiness_counts"):
        assert store.run(name, _params(name, View())).get_column("n").sum() == graded, name
    assert store.run("cell_counts", cell_params(View().params() | CELLS[0]))["n"].item() == graded
    totals = store.run("dataset_totals").row(0, named=True)
    assert (totals["samples"], totals["graded"]) == (len(verdicts), graded)
    # Data health's figure: per file, the ids whose row there is not an id's first (by file path, then row).
    seen, expected = set(), {}
    for k, rows in enumerate(per_file):
        for r in rows:
            if r["sample_id"] in seen:
                expected.setdefault(f"f{k}.parquet", set()).add(r["sample_id"])
            seen.add(r["sample_id"])
    assert {d.path.name: d.ids for d in store.health.duplicates} == {f: len(ids) for f, ids in expected.items()}


def test_a_page_sees_a_file_added_between_its_runs(tmp_path, monkeypatch):
    from tests.harness import app_test

    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(10)])
    at = app_test(page="data_health", data=tmp_path, monkeypatch=monkeypatch, timeout=60)
    assert not at.exception and at.metric[0].value == "10"
    write_samples(tmp_path / "samples" / "b.parquet", [sample(100 + i) for i in range(5)])
    at.run()
    assert not at.exception and at.metric[0].value == "15"


def test_a_file_with_damaged_data_pages_does_not_break_refresh(dataset):
    path = dataset / "samples" / "part-1.parquet"
    data = bytearray(path.read_bytes())
    data[4:200] = b"\xff" * 196  # the footer still validates; the data pages do not decode
    path.write_bytes(bytes(data))
    store = Store(dataset)
    # refresh reads the files for rollups: it must not raise, and it names the damaged file and leaves it out
    assert len(store.health.good("samples")) == 4
    [bad] = store.health.rejected
    assert bad.path == path and bad.problem.startswith("damaged data")
    assert store.run("sample_detail", {"sample_id": "t-000100"}) is not None


def test_the_primary_verdict_never_binds_the_other_source_branch(dataset):
    """view_counts(…, $source) runs as primary_counts for 'primary' (the other branch's binding costs ~7 ms)."""
    store = Store(dataset)
    want = {name: store.run(name, _params(name, View())) for name in ROLLED_UP}
    rewritten = {name for name in ROLLED_UP if store._primary_sql.get(name)}
    assert rewritten == {
        "rate_by_intervention",
        "rate_by_stage",
        "rate_by_family",
        "compare_cells",
        "readiness_counts",
        "cell_counts",
    }
    # Make the other-source branch unbindable: the primary verdict must still answer, identically; another must not.
    store._con.execute("CREATE TABLE gone(x INTEGER)")
    store._con.execute("CREATE OR REPLACE MACRO view_samples(a, b, c, d, e, f) AS TABLE SELECT * FROM gone")
    store._con.execute("DROP TABLE gone")
    store._cache.clear()
    for name in set(ROLLED_UP) - {"cell_counts"}:  # its eval-awareness branch reads view_samples: bound, not run
        assert store.run(name, _params(name, View())).equals(want[name]), name
    with pytest.raises(QueryError):
        store.run("rate_by_intervention", View(source="judge-2").params())
