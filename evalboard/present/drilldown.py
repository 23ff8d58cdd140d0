"""From a click on an Overview chart, or a transcript, to the state of the Transcripts page (pure, unit-tested).

Each chart puts its cell key in the points' `customdata` (see charts.py); a click keeps the current
view and narrows it to that cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalboard.core import links
from evalboard.core.view import FILTER_KEYS, View


def cell_filters(chart: str, point: Mapping[str, Any]) -> dict[str, Any] | None:
    """URL filters for the clicked point of `chart`, or None when the point carries no cell key."""
    data = point.get("customdata")
    if not isinstance(data, Sequence) or isinstance(data, str) or not data:
        return None
    if chart == "by_intervention" and len(data) >= 1:
        return {"intervention": [str(data[0])]}
    if chart == "by_stage" and len(data) >= 3:
        return {"intervention": [str(data[0])], "stage": [str(data[1])], "step": int(data[2])}
    if chart == "by_family" and len(data) >= 2:
        return {"intervention": [str(data[0])], "family": [str(data[1])]}
    if chart == "aware_bars" and len(data) >= 2:  # intervention × eval-awareness class
        return {"intervention": [str(data[0])], "believed": str(data[1])}
    return None


def selected_cell(chart: str, selection: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The cell of the first selected point in a `st.plotly_chart` selection state, if any."""
    points = (selection or {}).get("points") or []
    for point in points:
        cell = cell_filters(chart, point)
        if cell is not None:
            return cell
    return None


def narrowed(view: View, cell: Mapping[str, Any]) -> dict[str, list[str]]:
    """The sidebar filter values after narrowing `view` to `cell` (URL key → values)."""
    values = {key: list(vals) for key, vals in view.to_query_params().items()}
    values.update({key: list(vals) for key, vals in cell.items() if key in FILTER_KEYS})
    return values


def transcripts_state(view: View, cell: Mapping[str, Any], **keys: object) -> dict[str, str | list[str]]:
    """The Transcripts page's state for a clicked cell (`links.transcripts`): the view narrowed to it, the cell's
    own Transcripts keys (step, believed) and `keys`."""
    own = {key: value for key, value in cell.items() if key not in FILTER_KEYS}
    return links.transcripts(narrowed(view, cell), **own, **keys)


def cell_of(detail: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """The Transcripts page's state listing every transcript of a sample's cell (any verdict)."""
    filters = {
        "snapshot": detail["snapshot"],
        "intervention": detail["intervention"],
        "stage": detail["training_stage"],
    }
    filters |= {"family": detail["scenario_family"]}
    if detail.get("grader") is not None:
        filters["grader"] = detail["grader"]
    return links.transcripts(filters, step=detail["stage_step"], verdict="all")
