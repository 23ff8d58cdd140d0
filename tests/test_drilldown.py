from evalboard.core.view import View
from evalboard.present.drilldown import cell_filters, narrowed, selected_cell


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
