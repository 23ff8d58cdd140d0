"""The demo generator is deterministic, small, and tells the story the README describes."""

import filecmp

import duckdb
import pytest

from evalboard.data.store import Store
from evalboard.demo import write_demo
from tests.helpers import DEMO


def test_same_seed_gives_byte_identical_files(tmp_path):
    write_demo(tmp_path / "a", samples=3000, seed=7)
    write_demo(tmp_path / "b", samples=3000, seed=7)
    for sub in ("samples", "transcripts", "awareness", "verdicts", "reviews", "calibration"):
        names = sorted(p.name for p in (tmp_path / "a" / sub).iterdir())
        assert names == sorted(p.name for p in (tmp_path / "b" / sub).iterdir())
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a" / sub, tmp_path / "b" / sub, names, shallow=False)
        per_snapshot = sub in ("samples", "transcripts", "awareness", "verdicts")
        assert mismatch == [] and errors == [] and len(match) == (4 if per_snapshot else len(names))


def test_committed_demo_data_is_reproducible(tmp_path):
    write_demo(tmp_path / "demo")
    for sub in ("samples", "transcripts", "awareness", "verdicts", "reviews", "calibration"):
        names = sorted(p.name for p in (DEMO / sub).iterdir())
        assert names == sorted(p.name for p in (tmp_path / "demo" / sub).iterdir())
        _, mismatch, errors = filecmp.cmpfiles(DEMO / sub, tmp_path / "demo" / sub, names, shallow=False)
        assert mismatch == [] and errors == [], "data/demo differs from `evalboard demo` output: regenerate it"


def test_committed_demo_data_is_small_and_valid():
    size = sum(
        p.stat().st_size for p in DEMO.rglob("*") if p.is_file() and ".index" not in p.parts
    )  # not the search index
    assert size < 10 * 1024 * 1024
    health = Store(DEMO).refresh()
    assert health.rejected == [] and health.manifest.synthetic and health.manifest.held_out_families


@pytest.fixture(scope="module")
def final_blackmail():
    """Blackmail-family rate per intervention at the last RL checkpoint, pooled over snapshots."""
    con = duckdb.connect()
    rows = con.execute(
        """
        WITH s AS (SELECT * FROM read_parquet($glob))
        SELECT intervention, training_stage, count(harmful) AS n, avg(harmful::INT) AS rate
        FROM s
        WHERE scenario_family = 'blackmail'
          AND (training_stage = 'sft'
               OR (training_stage = 'rl' AND stage_step = (SELECT max(stage_step) FROM s WHERE training_stage = 'rl')))
        GROUP BY ALL
        """,
        {"glob": str(DEMO / "samples" / "*.parquet")},
    ).fetchall()
    return {(iv, stage): (n, rate) for iv, stage, n, rate in rows}


def test_demo_tells_the_published_story(final_blackmail):
    def rl(iv):
        return final_blackmail[(iv, "rl")][1]

    assert rl("baseline") >= 0.60
    assert rl("safe_demos") == pytest.approx(0.15, abs=0.02)
    assert final_blackmail[("safe_demos", "sft")][1] == pytest.approx(0.22, abs=0.02)
    assert rl("deliberation_rewrites") == pytest.approx(0.03, abs=0.01)
    assert abs(rl("difficult_advice") - rl("deliberation_rewrites")) <= 0.02
    assert rl("baseline") / rl("constitution_stories") > 3
    assert "constitution_stories+harmlessness" in {iv for iv, _ in final_blackmail}


def test_demo_shape_and_cell_sizes():
    con = duckdb.connect()
    glob = str(DEMO / "samples" / "*.parquet")
    counts = con.execute(
        """SELECT count(DISTINCT snapshot), count(DISTINCT intervention), count(DISTINCT stage_step)
                  FILTER (WHERE training_stage = 'rl'), min(n), max(rate) FILTER (WHERE intervention = 'baseline')
           FROM (SELECT snapshot, intervention, training_stage, stage_step, scenario_family,
                        count(harmful) AS n, avg(harmful::INT) AS rate
                 FROM read_parquet($glob) GROUP BY ALL)""",
        {"glob": glob},
    ).fetchone()
    snapshots, interventions, rl_steps, min_cell, max_baseline = counts
    assert snapshots >= 4 and interventions >= 7 and rl_steps >= 5
    assert min_cell >= 50
    assert max_baseline >= 0.90


def test_demo_has_a_second_grader_that_disagrees_on_a_few_percent_and_some_reviews():
    from evalboard.core.view import View
    from evalboard.screens import agreement

    store = Store(DEMO)
    sources = store.run("verdict_sources").to_dicts()
    assert {s["source"] for s in sources} == {"classifier_raw", "grader:second-model", "human"}
    result = agreement.compute(store, View(), "primary", "grader:second-model")
    assert 0.02 < result.overall.discordant / result.overall.n < 0.06
    # People reviewed the calibration sample (two or three votes each) and a handful of disagreements.
    assert 300 <= next(s["samples"] for s in sources if s["source"] == "human") <= 400


def test_demo_shows_graders_error_corrected_rates_and_alpha_without_setup():
    from evalboard.screens import calibration as cal

    store = Store(DEMO)
    measured = cal.load(store)
    assert measured.drawn and measured.reviewed >= 250 and measured.disagreement_reviews >= 10
    assert set(measured.errors) == {"primary", "classifier_raw", "grader:second-model"}
    primary = measured.errors["primary"]
    assert primary.sensitivity.estimate < 1 and min(primary.sensitivity.n, primary.specificity.n) >= 100
    corrected = cal.correct(measured, "primary", 200, 1000)
    assert corrected.reason is None and corrected.lo < corrected.estimate < corrected.hi
    raters = cal.raters(store, measured)
    assert len(raters.sources) == 4 and raters.alpha.alpha is not None and raters.human_alpha.alpha is not None
    assert raters.contested.height >= 5


def test_release_evaluations_make_every_readiness_verdict_reachable():
    """Each snapshot's candidate has ~500 extra samples per family; under the committed gates (not loosened) the
    newest snapshot is READY, the one before INSUFFICIENT DATA and the older ones NOT READY."""
    from evalboard.screens.readiness import catalog as rd_catalog
    from evalboard.screens.readiness import judge as rd_judge
    from evalboard.screens.readiness.gates import load_gates
    from evalboard.screens.readiness.rules import Status
    from tests.helpers import REPO

    catalog = rd_catalog.load_catalog(Store(DEMO))
    gates = load_gates(REPO / "gates.toml")
    statuses = {s: rd_judge.judge(catalog, s, gates).status for s in catalog.snapshots}
    assert statuses == {
        "atlas-2026-11": Status.READY,
        "atlas-2026-09": Status.INSUFFICIENT_DATA,
        "atlas-2026-07": Status.NOT_READY,
        "atlas-2026-05": Status.NOT_READY,
    }
    for snapshot in catalog.snapshots:
        counts = catalog.counts_at(rd_catalog.candidate(catalog, snapshot))
        assert all(c.n >= 500 for c in counts.values())
