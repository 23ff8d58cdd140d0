"""What a chart's points carry (Plotly's `customdata`), as named fields defined once: `charts.py` lays a point's data
out with `Points.row`, `drilldown.py` and the pages read a clicked point with `Points.read`, hover texts name a field
with `Points.ref`, so no reader counts positions. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Points:
    """The fields of one chart's point data, in the order Plotly holds them."""

    fields: tuple[str, ...]

    def row(self, **values: Any) -> list[Any]:
        """One point's data: every field by name, nothing else."""
        if set(values) != set(self.fields):
            raise TypeError(f"point data needs exactly {self.fields}, got {tuple(values)}")
        return [values[field] for field in self.fields]

    def read(self, point: Mapping[str, Any]) -> dict[str, Any] | None:
        """A clicked point's data by name (`st.plotly_chart` selection point), or None when it carries none (e.g. a
        label-only trace)."""
        data = point.get("customdata")
        if not isinstance(data, Sequence) or isinstance(data, str) or len(data) < len(self.fields):
            return None
        return dict(zip(self.fields, data, strict=False))

    def ref(self, field: str) -> str:
        """The field in a Plotly hover template: 'customdata[1]'."""
        return f"customdata[{self.fields.index(field)}]"


# Overview (drill-down to Transcripts: `drilldown.cell_filters`)
INTERVENTION = Points(("intervention",))  # rate per intervention
CHECKPOINT = Points(("intervention", "stage", "step"))  # rate (and eval-awareness) along training
FAMILY_CELL = Points(("intervention", "family"))  # family × intervention heatmap
AWARENESS_CELL = Points(("intervention", "believed"))  # intervention × eval-awareness class
# Drivers: a variable's value × intervention (`drilldown.driver_cell`)
DRIVER_CELL = Points(("intervention", "value"))
# Readiness: the verdict history (a click judges that snapshot)
VERDICT_CELL = Points(("snapshot", "family", "candidate", "reason"))
# Compare and Overview, read by hover texts only
SIDE_FAMILY = Points(("side", "family"))
FOREST_ROW = Points(("family", "verdict"))
GAP_POINT = Points(("stage", "step"))
SHARE = Points(("n",))
