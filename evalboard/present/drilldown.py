"""From a click on an Overview chart, or a transcript, to the state of the Transcripts page (pure, unit-tested).

Each chart puts its cell key in the points' `customdata` by named fields (clicks.py, shared with charts.py); a
click keeps the current view and narrows it to that cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalboard.core import links
from evalboard.core.view import FILTER_KEYS, View
from evalboard.present import clicks

# The Overview's clickable charts (their `st.plotly_chart` keys) and what their points carry.
CHARTS: dict[str, clicks.Points] = {
    "by_intervention": clicks.INTERVENTION,
    "by_stage": clicks.CHECKPOINT,
    "by_family": clicks.FAMILY_CELL,
    "aware_bars": clicks.AWARENESS_CELL,  # intervention × eval-awareness class
}


def cell_filters(chart: str, point: Mapping[str, Any]) -> dict[str, Any] | None:
    """URL filters for the clicked point of `chart`, or None when the point carries no cell key: the sidebar's keys
    as one-value lists, `step` as a number, `believed` as text."""
    points = CHARTS.get(chart)
    data = points.read(point) if points is not None else None
    if data is None:
        return None
    return {
        field: [str(value)] if field in FILTER_KEYS else int(value) if field == "step" else str(value)
        for field, value in data.items()
    }


def selected_cell(chart: str, selection: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The cell of the first selected point in a `st.plotly_chart` selection state, if any."""
    points = (selection or {}).get("points") or []
    for point in points:
        cell = cell_filters(chart, point)
        if cell is not None:
            return cell
    return None


def driver_cell(selection: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(intervention or `drivers.ALL`, value) of the first selected Drivers heatmap point that carries one."""
    for point in (selection or {}).get("points") or []:
        data = clicks.DRIVER_CELL.read(point)
        if data is not None:
            return str(data["intervention"]), str(data["value"])
    return None


def judged_snapshot(selection: Mapping[str, Any] | None) -> str | None:
    """The snapshot of the first selected cell of Readiness's verdict history, if any."""
    for point in (selection or {}).get("points") or []:
        data = clicks.VERDICT_CELL.read(point)
        if data is not None:
            return data["snapshot"]
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
