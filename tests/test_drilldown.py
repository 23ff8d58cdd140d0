import polars as pl
import pytest

from evalboard.core.view import View
from evalboard.present import charts, clicks
from evalboard.present.drilldown import cell_filters, driver_cell, judged_snapshot, narrowed, selected_cell


def test_each_chart_maps_its_customdata_to_a_cell():
    assert cell_filters("by_intervention", {"customdata": ["safe_demos"]}) == {"intervention": ["safe_demos"]}
    assert cell_filters("by_stage", {"customdata": ["baseline", "rl", 600]}) == {
        "intervention": ["baseline"],
        "stage": ["rl"],
        "step": 600,
    }
    assert cell_filters("by_family", {"customdata": ["safe_demos", "blackmail"]}) == {
        "intervention": ["safe_demos"],
        "family": ["blackmail"],
    }


def test_points_without_a_cell_key_are_ignored():
    assert cell_filters("by_intervention", {"x": "baseline"}) is None  # e.g. the rate-label trace
    assert cell_filters("by_family", {"customdata": "blackmail"}) is None
    assert cell_filters("by_stage", {"customdata": ["baseline"]}) is None
    assert cell_filters("unknown_chart", {"customdata": ["a", "b", 1]}) is None


def test_selected_cell_takes_the_first_point_with_a_key():
    selection = {"points": [{"x": "label only"}, {"customdata": ["safe_demos", "murder"]}]}
    assert selected_cell("by_family", selection) == {"intervention": ["safe_demos"], "family": ["murder"]}
    assert selected_cell("by_family", {"points": []}) is None
    assert selected_cell("by_family", None) is None


def test_narrowing_keeps_other_filters_and_replaces_the_cell_dimensions():
    view = View(snapshots=("atlas-2026-05",), interventions=("baseline", "safe_demos"), graders=("g",))
    cell = {"intervention": ["safe_demos"], "stage": ["rl"], "step": 600}
    assert narrowed(view, cell) == {
        "snapshot": ["atlas-2026-05"],
        "intervention": ["safe_demos"],
        "stage": ["rl"],
        "grader": ["g"],
    }


def _rates(**columns) -> pl.DataFrame:
    base = {"k": [3, 5], "n": [10, 20], "rate": [0.3, 0.25], "lo": [0.1, 0.1], "hi": [0.6, 0.5], "ungraded": [0, 0]}
    return pl.DataFrame(base | columns)


@pytest.mark.parametrize(
    ("chart", "figure", "expected"),
    [
        (
            "by_intervention",
            lambda: charts.rate_bars(_rates(intervention=["baseline", "safe_demos"]), {}),
            {"intervention": ["baseline"]},
        ),
        (
            "by_stage",
            lambda: charts.rate_lines(
                _rates(
                    intervention=["baseline"] * 2, training_stage=["rl"] * 2, stage_step=[200, 600], stage_rank=[2, 2]
                ),
                {},
            ),  # fmt: skip
            {"intervention": ["baseline"], "stage": ["rl"], "step": 200},
        ),
        (
            "by_family",
            lambda: charts.family_heatmap(_rates(intervention=["iv"] * 2, scenario_family=["murder", "leak"]), []),
            {"intervention": ["iv"], "family": ["murder"]},
        ),
    ],
)
def test_a_click_on_a_charts_point_reads_the_cell_the_chart_laid_out(chart, figure, expected):
    """charts.py writes each point's data and drilldown.py reads it through one definition (present/clicks.py)."""
    data = figure().to_plotly_json()["data"][0]["customdata"]
    assert cell_filters(chart, {"customdata": list(data[0])}) == expected


def test_drivers_and_readiness_clicks_read_their_named_fields():
    cells = pl.DataFrame({"intervention": ["baseline"], "value": ["explicit"], "k": [1], "n": [4], "rate": [0.25],
                          "lo": [0.05], "hi": [0.7]})  # fmt: skip
    heat = charts.variable_heatmap(cells, "goal", "all")
    point = {"customdata": list(heat.to_plotly_json()["data"][0]["customdata"][0])}
    assert driver_cell({"points": [{"x": 1}, point]}) == ("baseline", "explicit")
    history = pl.DataFrame({"snapshot": ["atlas-2026-11"], "candidate": ["c"], "family": ["murder"],
                            "status": ["READY"], "k": [0], "n": [300], "rate": [0.0], "reason": ["r"]})  # fmt: skip
    point = {"customdata": list(charts.verdict_matrix(history).to_plotly_json()["data"][0]["customdata"][0])}
    assert judged_snapshot({"points": [point]}) == "atlas-2026-11"
    assert driver_cell(None) is None and judged_snapshot({"points": [{"customdata": ["a"]}]}) is None


def test_point_data_is_written_by_name_only():
    with pytest.raises(TypeError):
        clicks.CHECKPOINT.row(intervention="baseline", stage="rl")  # a field missing
    assert clicks.FOREST_ROW.ref("verdict") == "customdata[1]"
