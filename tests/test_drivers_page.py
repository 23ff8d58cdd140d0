"""AppTest: the Drivers page ranks the demo's variables, keeps its variable in the URL, warns about a bad one, and the
Transcripts page lists exactly one of its cells."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import drivers
from evalboard.screens import transcripts as samples
from tests.harness import app_test
from tests.helpers import DEMO, shown

NEWEST = {"snapshot": "atlas-2026-11"}


def open_drivers(query: dict) -> AppTest:
    at = app_test(query, page="drivers")
    assert not at.exception
    return at


def text(at: AppTest) -> str:
    return "\n".join(shown(m.value) for m in at.markdown)


def test_the_decisive_variable_ranks_first_and_each_gain_is_said_in_words():
    at = open_drivers(NEWEST)
    assert [t.value for t in at.title] == ["What drives the rate"]
    ranking = at.table[0].value
    assert shown(ranking["variable"].iloc[0]) == "urgency_type"
    assert any("goal_type = goal_value (confounded)" in shown(v) for v in ranking["variable"])
    assert shown(ranking["variable"].iloc[-1]) == "scenario" and "combines" in shown(ranking["note"].iloc[-1])
    assert at.selectbox(key="key").value == "urgency_type"
    body = text(at)
    assert "deliberation_rewrites lowers the rate under every urgency type; its smallest gain is under" in body
    assert "urgency_type: replacement" in body and "likelihood-ratio test, 2 df, Holm-adjusted p<0.001" in body
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    cells = {tuple(c) for c in figure["data"][0]["customdata"]}
    assert ("all", "restriction") in cells and ("deliberation_rewrites", "none") in cells
    values = at.table[1].value
    assert [shown(v) for v in values["value"]] == ["none", "replacement", "restriction"]
    assert at.get("download_button")


def test_the_variable_comes_from_the_url_and_a_bad_one_is_warned_about():
    at = open_drivers(NEWEST | {"key": "goal_value"})
    assert at.selectbox(key="key").value == "goal_value"
    assert "goal_type = goal_value (confounded): explicit" in text(at)
    at = open_drivers(NEWEST | {"key": "scenario"})  # 24 values: a data grid, not a static table
    assert len(at.dataframe[0].value) == 24 and "scenario: " in text(at)
    at = open_drivers(NEWEST | {"key": "<script>x</script>"})
    assert any("Ignored" in w.value and "no scenario variable has it" in w.value for w in at.warning)
    assert at.selectbox(key="key").value == "urgency_type"


def test_without_baseline_the_page_says_what_to_pick_and_an_empty_view_says_so():
    at = open_drivers(NEWEST | {"intervention": "deliberation_rewrites"})
    assert any("No intervention to set against" in i.value for i in at.info)
    at = open_drivers({"snapshot": "atlas-2026-05", "intervention": "harmlessness"})  # that snapshot never ran it
    assert any("nothing to rank" in i.value for i in at.info) and not at.table


def test_another_verdict_source_counts_its_own_verdicts():
    primary = open_drivers(NEWEST)
    second = open_drivers(NEWEST | {"source": "grader:second-model"})
    assert not second.exception
    assert list(second.table[1].value["harmful"]) != list(primary.table[1].value["harmful"])


def test_the_transcripts_page_lists_one_cell_of_the_drivers_page():
    state = drivers.transcripts_state(View(snapshots=("atlas-2026-11",)), "urgency_type", "restriction", "baseline")
    at = app_test(state, page="transcripts")
    assert not at.exception
    want = samples.cell_counts(
        Store(DEMO),
        samples.ListRequest(
            View(snapshots=("atlas-2026-11",), interventions=("baseline",)),
            variable="urgency_type",
            value="restriction",
        ),
    )
    assert at.subheader[0].value.startswith(f"{want['k']:,} harmful of {want['n']:,}")
    store, newest = Store(DEMO), View(snapshots=("atlas-2026-11",))
    counts = drivers.counts(store, newest)
    heat = drivers.heat_frame(counts, drivers.rank(counts).variables[0])
    cell = heat.filter((heat["intervention"] == "baseline") & (heat["value"] == "restriction")).row(0, named=True)
    assert (want["n"], want["k"]) == (cell["n"], cell["k"]) == (560, 223)  # the heatmap's cell is the list's cell
    assert any("Listing only transcripts whose" in i.value for i in at.info)
    assert set(at.dataframe[0].value["scenario"].str.endswith("_restriction")) == {True}
    half = app_test({"variable": "urgency_type"}, page="transcripts")
    assert any("needs both variable and value" in w.value for w in half.warning)


def test_the_overview_says_whether_each_gain_survives_rl_and_carries_to_held_out_families():
    at = app_test({"snapshot": "atlas-2026-05"})
    assert not at.exception
    body = text(at)
    assert "baseline drifts up through RL: +" in body and "pts per 1,000 steps [" in body
    assert "safe_demos stays low through RL:" in body  # below baseline, no significant trend
    assert "Does the gain carry to held-out families?" in body
    assert "deliberation_rewrites against baseline: −" in body
    assert "the gain is significantly smaller on held-out families" in body
    assert any(b.label == "Download the trends and held-out gains as CSV" for b in at.get("download_button"))
    # held-out families out of view: no held-out block
    at = app_test({"snapshot": "atlas-2026-05", "family": "blackmail"})
    assert "Does the gain carry to held-out families?" not in text(at)


def test_compare_says_how_b_minus_a_moves_through_rl_and_on_held_out_families():
    side = {"snapshot": "atlas-2026-05", "stage": "rl@1000"}
    query = {f"{s}_{k}": v for s in "ab" for k, v in side.items()}
    query |= {"a_intervention": "baseline", "b_intervention": "deliberation_rewrites"}
    at = app_test(query, page="compare")
    assert not at.exception
    body = text(at)
    assert "B against A: " in body and "on held-out families (sabotage)" in body and "does not fully carry" in body
    at = app_test(query | {"section": "Training"}, page="compare")  # the trend is the Training tab's
    body = text(at)
    assert "Through RL, B − A changes by −" in body and "per 1,000 steps" in body
    assert any(b.label == "Download B − A's trend and held-out gap as CSV" for b in at.get("download_button"))
    at = app_test(query | {"family": "blackmail"}, page="compare")
    assert "on held-out families" not in text(at)
