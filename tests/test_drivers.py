"""Drivers, trends and held-out gains (screens/drivers.py, trends.py) on the demo and on an agentic-misalignment
results tree with its real condition folders, through the real store (DuckDB over Parquet)."""

from __future__ import annotations

import csv
import io
import random

import pytest

from evalboard.core.stats import Call
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import drivers, trends
from evalboard.screens import transcripts as samples
from evalboard.screens.compare import result as cmp
from tests.helpers import DEMO
from tests.ingest.test_agentic_misalignment import classification, prompts, put, response
from tests.ingest.util import ingest

URGENCY_RATE = {"replacement": 0.7, "restriction": 0.35, "none": 0.05}  # the tree's decisive variable
GOALS = (("explicit", "america"), ("none", "none"))  # goal_type and goal_value always come together


@pytest.fixture(scope="module")
def demo():
    return Store(DEMO)


def ranked(store: Store, view: View) -> drivers.Ranking:
    return drivers.rank(drivers.counts(store, view))


def test_the_demos_decisive_variable_ranks_first_and_the_crossed_pair_is_confounded(demo):
    for view in (View(), View(snapshots=("atlas-2026-11",)), View(families=("murder",))):
        ranking = ranked(demo, view)
        names = [v.name for v in ranking.variables]
        assert names[0] == "urgency_type", names
        top = ranking.variables[0]
        assert top.call.significant and top.spread.lo > 0.1
        assert [lv.value for lv in top.levels] == ["none", "replacement", "restriction"]
        assert top.levels[top.spread.highest].value == "replacement" and top.levels[top.spread.lowest].value == "none"
        goal = ranking.find("goal_value")
        assert goal is ranking.find("goal_type") and goal.label() == "goal_type = goal_value (confounded)"
        assert "goal_value" not in names  # not ranked apart
        scenario = ranking.find("scenario")
        assert scenario is ranking.variables[-1] and "urgency_type" in scenario.combines
    # one family: its name is constant, not ranked
    assert ("scenario_family", "murder") in ranked(demo, View(families=("murder",))).constant


def test_holm_runs_across_the_ranked_rows(demo):
    ranking = ranked(demo, View(snapshots=("atlas-2026-05",), families=("blackmail",), stages=("rl",)))
    ps = sorted(v.test.p for v in ranking.variables)
    assert sorted(v.p_holm for v in ranking.variables)[0] == pytest.approx(min(1.0, ps[0] * len(ps)))


def test_every_gain_holds_under_every_urgency_type_in_the_newest_snapshot(demo):
    view = View(snapshots=("atlas-2026-11",))
    counts = drivers.counts(demo, view)
    top = ranked(demo, view).variables[0]
    gains = drivers.gains(counts, top)
    assert [g.intervention for g in gains] == ["constitution_stories+harmlessness", "deliberation_rewrites"]
    for gain in gains:
        assert all(c.call is Call.LOWER for c in gain.comparisons)
        sentence = drivers.gain_sentence(gain, top.name)
        assert sentence.startswith(f"{gain.intervention} lowers the rate under every urgency type; its smallest gain")
        smallest = max(gain.comparisons, key=lambda c: c.diff)
        assert gain.values[gain.comparisons.index(smallest)] in sentence.split("smallest gain is under ")[1]
    assert drivers.gains(counts.filter(counts["intervention"] != "baseline"), top) == []


def test_a_cell_drills_down_to_exactly_its_transcripts(demo):
    view = View(snapshots=("atlas-2026-11",))
    counts = drivers.counts(demo, view)
    top = ranked(demo, view).variables[0]
    heat = drivers.heat_frame(counts, top)
    for row in heat.filter(heat["value"] == "restriction").iter_rows(named=True):
        state = drivers.transcripts_state(view, top.name, row["value"], row["intervention"])
        assert state["variable"] == "urgency_type" and state["value"] == "restriction"
        request = samples.ListRequest(
            View(snapshots=tuple(state["snapshot"]), interventions=tuple(state.get("intervention", ()))),
            variable=state["variable"],
            value=state["value"],
        )
        got = samples.cell_counts(demo, request)
        assert (got["n"], got["k"]) == (row["n"], row["k"]), row
        rows, total = samples.sample_page(demo, request)
        assert total == got["n"] + got["ungraded"] and rows.height == min(total, samples.PAGE_SIZE)


def test_csv_export_has_every_ranked_row_and_gain(demo):
    view = View(snapshots=("atlas-2026-11",))
    counts = drivers.counts(demo, view)
    ranking = ranked(demo, view)
    top = ranking.variables[0]
    text = drivers.to_csv(ranking, top, drivers.gains(counts, top), view.to_query_params(), "demo")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    assert [r["variable"] for r in rows if r["table"] == "ranking"][0] == "urgency_type"
    assert sum(r["table"] == "gain" for r in rows) == 2 * 3 and sum(r["table"] == "value" for r in rows) == 3


# -- an agentic-misalignment results tree -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def am_tree(tmp_path_factory):
    """Two models (runs as interventions via --runs), six condition folders each, 20 samples per folder; the harmful
    rate set by the urgency only, and goal_type / goal_value crossed one-to-one."""
    root = tmp_path_factory.mktemp("am")
    exp = root / "results" / "sweep-250601"
    rng = random.Random(28)
    models = {"claude-a": 1.0, "claude-b": 0.3}  # claude-b as a fix: 30% of claude-a's rate everywhere
    for goal, value in GOALS:
        for urgency, base in URGENCY_RATE.items():
            condition = f"blackmail_{goal}-{value}_{urgency}"
            prompts(exp, condition)
            for model, scale in models.items():
                for i in range(1, 21):
                    harmful = rng.random() < base * scale
                    body = response(model, condition, i, classification=classification(harmful, harmful))
                    put(exp, f"models/{model}/{condition}/sample_{i:03d}/response.json", body)
    runs = root / "runs.toml"
    runs.write_text(
        '[runs."claude-a"]\nsnapshot = "s1"\nintervention = "baseline"\ntraining_stage = "rl"\nstage_step = 1000\n'
        '[runs."claude-b"]\nsnapshot = "s1"\nintervention = "fix"\ntraining_stage = "rl"\nstage_step = 1000\n'
    )
    out = root / "data"
    result = ingest(exp, "--out", out, "--runs", runs, "-q")
    assert result.code == 0, result.err
    return Store(out)


def test_on_a_results_tree_urgency_ranks_first_and_goal_type_is_confounded_with_goal_value(am_tree):
    ranking = ranked(am_tree, View())
    names = [v.name for v in ranking.variables]
    assert names[0] == "urgency_type", names
    assert ranking.find("goal_type").confounded == ("goal_value",)
    assert ranking.variables[0].n == 240 and ranking.variables[0].call.significant
    constant = dict(ranking.constant)
    assert constant["scenario_family"] == "blackmail" and constant["production_variant"] == "false"
    gain = next(
        g for g in drivers.gains(drivers.counts(am_tree, View()), ranking.variables[0]) if g.intervention == "fix"
    )
    assert gain.values == ("none", "replacement", "restriction")
    assert gain.comparisons[1].call is Call.LOWER  # replacement: 70% against 21%


def test_a_url_key_that_the_view_does_not_vary_falls_back_with_a_warning(am_tree):
    ranking = ranked(am_tree, View())
    chosen, warning = drivers.choose(ranking, "goal_value")
    assert chosen is ranking.find("goal_type") and warning is None
    chosen, warning = drivers.choose(ranking, "production_variant")
    assert chosen is ranking.variables[0] and "one value in this view" in warning
    chosen, warning = drivers.choose(ranking, "<b>nope</b>")
    assert chosen is ranking.variables[0] and "Ignored ` key=<b>nope</b> `" in warning
    assert "no scenario variable" in warning


# -- trends and held-out families ---------------------------------------------------------------------------------


def test_trends_through_rl_on_the_demo(demo):
    runs = {r.intervention: r for r in trends.trends(trends.training_counts(demo, View(snapshots=("atlas-2026-05",))))}
    assert runs["baseline"].call is Call.HIGHER and runs["baseline"].trend.lo > 0  # the demo's baseline rises
    assert runs["safe_demos"].trend.lo < 0 < runs["safe_demos"].trend.hi  # safe_demos: 22% at SFT, 15% at the end
    assert trends.trend_sentence(runs["baseline"]).startswith("baseline drifts up through RL: +")
    assert runs["safe_demos"].below_baseline and not runs["baseline"].below_baseline
    assert trends.trend_sentence(runs["safe_demos"]).startswith("safe_demos stays low through RL: ")
    assert "per 1,000 steps [" in trends.trend_sentence(runs["safe_demos"])


def test_held_out_gains_on_the_demo(demo):
    rows = trends.held_out_gains(trends.training_counts(demo, View()), ["sabotage"])
    by = {r.intervention: r for r in rows}
    # The story: constitution_stories+harmlessness carries to held-out sabotage; deliberation_rewrites loses half.
    assert by["constitution_stories+harmlessness"].call is Call.NO_CHANGE
    assert by["deliberation_rewrites"].call is Call.HIGHER
    assert "does not fully carry" in trends.gap_sentence("deliberation_rewrites", by["deliberation_rewrites"].gap,
                                                          by["deliberation_rewrites"].call, ["sabotage"])  # fmt: skip
    assert trends.held_out_gains(trends.training_counts(demo, View(families=("murder",))), ["sabotage"]) == []
    text = trends.to_csv(trends.trends(trends.training_counts(demo, View())), rows, {}, "demo")
    assert text.count("held_out_minus_trained_gain") == len(rows)


def test_compare_trend_and_held_out(demo):
    options = cmp.Options.from_frame(demo.run("compare_options"))
    cells = demo.run("compare_cells", {"families": [], "graders": [], "source": "primary"})
    a = cmp.Side("atlas-2026-05", "baseline", "rl@1000")
    b = cmp.Side("atlas-2026-05", "deliberation_rewrites", "rl@1000")
    gap = trends.compare_trend(cells, a, b)
    assert gap.call is Call.LOWER and gap.diff == pytest.approx(gap.b.slope - gap.a.slope)
    assert trends.compare_trend_sentence(gap).startswith("Through RL, B − A changes by −")
    same = trends.compare_trend(cells, a, a)
    assert same.diff == 0 and same.call is Call.NO_CHANGE
    held = trends.compare_held_out(cells, a, b, options, ["sabotage"])
    assert held.call is Call.HIGHER
    blackmail = cells.filter(cells["scenario_family"] == "blackmail")
    assert trends.compare_held_out(blackmail, a, b, options, ["sabotage"]) is None
    text = trends.compare_csv(a, b, gap, held, {}, "demo")
    rows = {r["measure"]: r for r in csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))}
    assert float(rows["trend_per_1000_steps_B_minus_A"]["estimate"]) == pytest.approx(gap.diff)
    assert rows["held_out_minus_trained"]["call"] == "higher" and "# A: atlas-2026-05 · baseline · rl@1000" in text
