"""Plotly figure builders: a frame of counts with Wilson intervals in, a figure out. No I/O.

Every point carries its cell key in `customdata`, laid out by its named fields (`clicks.py`), so a click can be
turned into a filter (lines have markers and the heatmap is drawn as square markers, because Plotly selection events
skip both plain lines and `go.Heatmap`).
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from evalboard.core import fmt
from evalboard.core.checkpoints import checkpoint_labels
from evalboard.core.fmt import plotly_text as _t  # every data-derived label: names are text, never Plotly HTML
from evalboard.core.memo import reused
from evalboard.present.clicks import (
    AWARENESS_CELL,
    CHECKPOINT,
    DRIVER_CELL,
    FAMILY_CELL,
    FOREST_ROW,
    GAP_POINT,
    INTERVENTION,
    SHARE,
    SIDE_FAMILY,
    VERDICT_CELL,
)

PALETTE = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#EECA3B",
)  # fmt: skip
HEAT_SCALE = [[0.0, "#f7fbff"], [0.25, "#fdd0a2"], [0.5, "#fd8d3c"], [0.75, "#d94801"], [1.0, "#7f2704"]]


# Building Plotly objects costs 5-40 ms a chart; a rerun (a click, another session on the same view) draws the same
# figures again, so equal inputs get the figure already built (`st.plotly_chart` copies it, nothing mutates it).
_reused = reused(maxsize=256)


def colors_for(interventions: Sequence[str]) -> dict[str, str]:
    """A stable colour per intervention (pass every intervention of the dataset, not just the filtered ones)."""
    return {iv: PALETTE[i % len(PALETTE)] for i, iv in enumerate(sorted(interventions))}


_pct = fmt.pct


def _hover(row: dict) -> str:
    return f"{_pct(row['rate'])} [{_pct(row['lo'])}–{_pct(row['hi'])}]<br>{row['k']} harmful of n={row['n']}"


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, annotations=[dict(text="No graded samples in this view", showarrow=False)])
    return fig


def _error_bars(rows: list[dict], center: str, scale: float = 1.0, color: str = "#333") -> dict:
    """Asymmetric error bars from each row's `lo`/`hi` around its `center` value."""
    return dict(
        type="data",
        symmetric=False,
        array=[scale * (r["hi"] - r[center]) for r in rows],
        arrayminus=[scale * (r[center] - r["lo"]) for r in rows],
        color=color,
    )


def _band(x: list, rows: list[dict], color: str, opacity: float, scale: float = 1.0, **trace) -> go.Scatter:
    """A shaded interval band from each row's `lo` to `hi` along `x` (no hover, no legend entry)."""
    return go.Scatter(
        x=x + x[::-1],
        y=[scale * r["hi"] for r in rows] + [scale * r["lo"] for r in rows][::-1],
        fill="toself",
        fillcolor=color,
        opacity=opacity,
        line=dict(width=0),
        hoverinfo="skip",
        showlegend=False,
        **trace,
    )


@_reused
def rate_bars(rates: pl.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Rate per intervention: bars with 95% Wilson error bars and n under each bar."""
    title = "Harmful-action rate by intervention"
    rows = rates.filter(pl.col("n") > 0).sort("rate", descending=True).to_dicts()
    if not rows:
        return _empty(title)
    labels = [f"{_t(r['intervention'])}<br>n={r['n']:,}" for r in rows]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[r["rate"] for r in rows],
            error_y=_error_bars(rows, "rate"),
            marker_color=[colors.get(r["intervention"], PALETTE[0]) for r in rows],
            customdata=[INTERVENTION.row(intervention=r["intervention"]) for r in rows],
            hovertext=[f"<b>{_t(r['intervention'])}</b><br>{_hover(r)}" for r in rows],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    # Rate labels sit above the interval's upper end, so they never collide with the error bar.
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[r["hi"] for r in rows],
            mode="text",
            text=[_pct(r["rate"]) for r in rows],
            textposition="top center",
            hoverinfo="skip",
        )
    )
    fig.update_layout(title=title, yaxis=dict(title="rate", tickformat=".0%", range=[0, 1.12]), showlegend=False)
    return fig


@_reused
def rate_lines(rates: pl.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Rate along training per intervention: a line with markers and 95% Wilson error bars.

    One trace per intervention (error bars, not a shaded band trace beside each line): half the traces for
    Plotly to draw, and the interval stays readable where lines cross.
    """
    title = "Harmful-action rate across training"
    points = rates.filter(pl.col("n") > 0)
    if points.is_empty():
        return _empty(title)
    points = checkpoint_labels(points)
    order = points.sort("stage_rank", "stage_step").get_column("checkpoint_name").unique(maintain_order=True).to_list()
    order = [_t(c) for c in order]
    fig = go.Figure()
    for iv in sorted(points.get_column("intervention").unique().to_list()):
        rows = points.filter(pl.col("intervention") == iv).sort("stage_rank", "stage_step").to_dicts()
        color = colors.get(iv, PALETTE[0])
        fig.add_trace(
            go.Scatter(
                x=[_t(r["checkpoint_name"]) for r in rows],
                y=[r["rate"] for r in rows],
                mode="lines+markers",
                name=_t(iv),
                line=dict(color=color),
                marker=dict(size=8),
                error_y=_error_bars(rows, "rate", color=color) | dict(thickness=1, width=3),
                customdata=[
                    CHECKPOINT.row(intervention=iv, stage=r["training_stage"], step=r["stage_step"]) for r in rows
                ],
                hovertext=[f"<b>{_t(iv)}</b> at {_t(r['checkpoint_name'])}<br>{_hover(r)}" for r in rows],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis=dict(title="training checkpoint", categoryorder="array", categoryarray=order),
        yaxis=dict(title="rate", tickformat=".0%", range=[0, 1]),
        legend=dict(orientation="h", yanchor="top", y=-0.2),
    )
    return fig


def family_label(family: str, held_out: Sequence[str]) -> str:
    return fmt.held_out(family, held_out)


@_reused
def family_heatmap(rates: pl.DataFrame, held_out: Sequence[str]) -> go.Figure:
    """Scenario family × intervention: one square per cell coloured by rate; held-out families marked."""
    title = "Rate by scenario family × intervention"
    cells = rates.filter(pl.col("n") > 0).to_dicts()
    if not cells:
        return _empty(title)
    families = sorted({c["scenario_family"] for c in cells}, key=lambda f: (f in held_out, f))
    interventions = sorted({c["intervention"] for c in cells})
    y_labels = [_t(family_label(f, held_out)) for f in families]
    frame = _square_cells(interventions, y_labels, right=110, x_angle=True)
    outlined = [c["scenario_family"] in held_out for c in cells]
    fig = go.Figure(
        _rate_squares(
            cells,
            x=[_t(c["intervention"]) for c in cells],
            y=[_t(family_label(c["scenario_family"], held_out)) for c in cells],
            customdata=[FAMILY_CELL.row(intervention=c["intervention"], family=c["scenario_family"]) for c in cells],
            size=frame.pop("cell") - 6,
            line=dict(color=["#222" if o else "#fff" for o in outlined], width=[3 if o else 1 for o in outlined]),
        )
    )
    fig.update_layout(
        title=title,
        xaxis=dict(
            categoryorder="array", categoryarray=[_t(iv) for iv in interventions], showgrid=False, tickangle=-30
        ),
        yaxis=dict(
            categoryorder="array",
            categoryarray=[_t(family_label(f, held_out)) for f in reversed(families)],
            showgrid=False,
        ),
        plot_bgcolor="#fff",
        **frame,
    )
    return fig


MAX_HEAT_WIDTH = 800  # px: the page's width at a 1280 px window; a matrix never draws wider
HEAT_CELL = (24, 64)  # px: the side of a cell, at least and at most


def _square_cells(x: Sequence[str], y: Sequence[str], right: int, x_angle: bool = False, top: int = 60) -> dict:
    """Width, height and margins for a matrix of square cells sized to its data (categories × labels), never wider
    than MAX_HEAT_WIDTH; `cell` is the side of one cell in px."""
    left = 16 + 7 * max((len(v) for v in y), default=4)
    bottom = 40 + (int(5 * max((len(v) for v in x), default=4)) if x_angle else 10)
    cell = max(HEAT_CELL[0], min(HEAT_CELL[1], (MAX_HEAT_WIDTH - left - right) // max(len(x), 1)))
    return dict(
        cell=cell,
        width=left + right + cell * len(x),
        height=top + bottom + cell * len(y),
        margin=dict(l=left, r=right, t=top, b=bottom, autoexpand=False),
    )


def _rate_squares(
    cells: Sequence[dict], x: Sequence[str], y: Sequence[str], customdata: Sequence[list], size: int, line: dict
) -> go.Scatter:
    """A matrix's cells as square markers coloured by rate, each labelled with its percent; `customdata` is what a
    click on a cell returns (the drill-down's keys)."""
    return go.Scatter(
        x=x,
        y=y,
        mode="markers+text",
        marker=dict(
            symbol="square",
            size=size,
            color=[c["rate"] for c in cells],
            colorscale=HEAT_SCALE,
            cmin=0,
            cmax=1,
            colorbar=dict(title="rate", tickformat=".0%"),
            line=line,
        ),
        text=[_pct(c["rate"]) for c in cells],
        textfont=dict(color=["#fff" if (c["rate"] or 0) > 0.55 else "#111" for c in cells], size=11),
        customdata=customdata,
        hovertext=[_hover(c) for c in cells],
        hovertemplate="<b>%{x}</b> · %{y}<br>%{hovertext}<extra></extra>",
    )


def rate_table(rates: pl.DataFrame, *keys: str) -> pl.DataFrame:
    """A readable table of rates: keys, n, harmful, rate and its 95% interval as text."""
    return rates.filter(pl.col("n") > 0).select(
        *keys,
        "n",
        pl.col("k").alias("harmful"),
        pl.format("{}%", (pl.col("rate") * 100).round(1)).alias("rate"),
        pl.format("{}–{}%", (pl.col("lo") * 100).round(1), (pl.col("hi") * 100).round(1)).alias("95% CI"),
    )


# --- Readiness -------------------------------------------------------------------------------------------------------

VERDICT_COLORS = {"READY": "#2E7D32", "NOT READY": "#C62828", "INSUFFICIENT DATA": "#F2A900"}


@_reused
def verdict_matrix(history: pl.DataFrame, highlight: str | None = None) -> go.Figure:
    """Snapshots (newest at the top) × scenario families, one square per verdict coloured READY / NOT READY /
    INSUFFICIENT DATA, labelled k/n; `highlight` outlines the snapshot being judged.

    `history` has snapshot, candidate, family, status, k, n, rate, reason (`readiness.export.history_frame`), rows
    ordered newest snapshot first.
    """
    title = "Verdict history, newest snapshot first"
    if history.is_empty():
        return _empty(title)
    snapshots = history.get_column("snapshot").unique(maintain_order=True).to_list()
    families = history.get_column("family").unique(maintain_order=True).to_list()
    frame = _square_cells([_t(f) for f in families], [_t(s) for s in snapshots], right=170)  # the legend at the right
    size = frame.pop("cell") - 6
    fig = go.Figure()
    for status, color in VERDICT_COLORS.items():
        cells = history.filter(pl.col("status") == status).to_dicts()
        if not cells:
            continue
        fig.add_trace(
            go.Scatter(
                x=[_t(c["family"]) for c in cells],
                y=[_t(c["snapshot"]) for c in cells],
                mode="markers+text",
                name=status,
                marker=dict(
                    symbol="square",
                    size=size,
                    color=color,
                    line=dict(
                        color=["#111" if c["snapshot"] == highlight else "#fff" for c in cells],
                        width=[3 if c["snapshot"] == highlight else 1 for c in cells],
                    ),
                ),
                text=[f"{c['k']}/{c['n']}" for c in cells],
                textfont=dict(color="#111" if status == "INSUFFICIENT DATA" else "#fff", size=11),
                customdata=[
                    VERDICT_CELL.row(
                        snapshot=c["snapshot"], family=c["family"], candidate=c["candidate"], reason=c["reason"]
                    )
                    for c in cells
                ],
                hovertext=[
                    f"<b>{_t(c['candidate'])}</b> · {_t(c['family'])}<br>"
                    f"{status}: {_pct(c['rate'])} ({c['k']} harmful of n={c['n']})<br>{_t(c['reason'])}"
                    for c in cells
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis=dict(categoryorder="array", categoryarray=[_t(f) for f in families], showgrid=False),
        yaxis=dict(categoryorder="array", categoryarray=[_t(s) for s in reversed(snapshots)], showgrid=False),
        plot_bgcolor="#fff",
        legend=dict(orientation="v", yanchor="top", y=1.0, xanchor="left", x=1.02),
        **frame,
    )
    return fig


# --- Compare page ----------------------------------------------------------------------------------------------------

SIDE_COLORS = {"A": "#7F7F7F", "B": "#F58518"}
CALL_COLORS = {"regression": "#D62728", "improvement": "#2CA02C", "inconclusive": "#E6A100", "": "#7F7F7F"}
# Gap markers by the one significance call (stats.Call values): filled = significant, dotted = inconclusive.
CALL_SYMBOLS = {"lower": "circle", "higher": "circle", "inconclusive": "circle-open-dot"}


@_reused
def side_by_side_rates(rates: pl.DataFrame, names: dict[str, str]) -> go.Figure:
    """A and B per scenario family: grouped bars with 95% Wilson error bars and n in the hover and axis."""
    title = "Rate per family, A vs B"
    shown = rates.filter(pl.col("n") > 0)
    if shown.is_empty():
        return _empty(title)
    order = [_t(f) for f in rates.get_column("family").unique(maintain_order=True).to_list()]
    fig = go.Figure()
    for side in ("A", "B"):
        rows = shown.filter(pl.col("side") == side).to_dicts()
        fig.add_trace(
            go.Bar(
                name=f"{side}: {_t(names.get(side, side))}",
                x=[_t(r["family"]) for r in rows],
                y=[r["rate"] for r in rows],
                error_y=_error_bars(rows, "rate"),
                marker_color=SIDE_COLORS[side],
                customdata=[SIDE_FAMILY.row(side=side, family=r["family"]) for r in rows],
                hovertext=[_hover(r) for r in rows],
                hovertemplate=f"<b>{side}</b> · %{{x}}<br>%{{hovertext}}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="group",
        xaxis=dict(categoryorder="array", categoryarray=order),
        yaxis=dict(title="rate", tickformat=".0%", range=[0, 1]),
        legend=dict(orientation="h", yanchor="top", y=-0.15),
    )
    return fig


@_reused
def difference_forest(diffs: pl.DataFrame) -> go.Figure:
    """B − A per family (and pooled, as a diamond) with 95% Newcombe intervals around a zero line."""
    title = "Change B − A per family (points)"
    if diffs.is_empty():
        return _empty(title)
    rows = diffs.to_dicts()
    labels = [_t(r["family"]) for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=[100 * r["diff"] for r in rows],
            y=labels,
            mode="markers",
            error_x=_error_bars(rows, "diff", scale=100, color="#555"),
            marker=dict(
                size=[14 if r["pooled"] else 10 for r in rows],
                symbol=["diamond" if r["pooled"] else "circle" for r in rows],
                color=[CALL_COLORS.get(r["kind"], CALL_COLORS[""]) for r in rows],
            ),
            customdata=[FOREST_ROW.row(family=r["family"], verdict=r["verdict"]) for r in rows],
            hovertext=[r["text"] for r in rows],  # numbers only (evalboard/screens/compare/)
            hovertemplate=f"<b>%{{y}}</b>: %{{{FOREST_ROW.ref('verdict')}}}<br>%{{hovertext}}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line=dict(color="#222", width=1, dash="dot"))
    fig.update_layout(
        title=title,
        xaxis=dict(title="B − A (points); left = B lower", ticksuffix=" pts", zeroline=False, range=_with_zero(rows)),
        yaxis=dict(categoryorder="array", categoryarray=labels[::-1]),
        height=max(280, 90 + 45 * len(rows)),
        showlegend=False,
    )
    return fig


def _with_zero(rows: list[dict]) -> list[float]:
    """An x range (points) holding every interval and 0 with a margin, so the zero line is never at the edge."""
    ends = [100 * r[k] for r in rows for k in ("lo", "hi") if r[k] is not None] + [0.0]
    lo, hi = min(ends), max(ends)
    pad = max(2.0, 0.08 * (hi - lo))
    return [lo - pad, hi + pad]


@_reused
def gap_lines(gaps: pl.DataFrame) -> go.Figure:
    """B − A at each training checkpoint with a shaded 95% Newcombe band; markers by the significance call."""
    title = "Gap B − A across training (points)"
    if gaps.is_empty():
        return _empty(title)
    rows = gaps.to_dicts()
    x = [_t(r["checkpoint_name"]) for r in rows]
    fig = go.Figure()
    fig.add_trace(_band(x, rows, SIDE_COLORS["B"], 0.18, scale=100))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[100 * r["diff"] for r in rows],
            mode="lines+markers",
            line=dict(color=SIDE_COLORS["B"]),
            marker=dict(
                size=10,
                symbol=[CALL_SYMBOLS.get(r.get("call") or "", "circle-open") for r in rows],
                color=SIDE_COLORS["B"],
            ),
            customdata=[GAP_POINT.row(stage=r["training_stage"], step=r["stage_step"]) for r in rows],
            hovertext=[r["text"] for r in rows],  # numbers only (evalboard/screens/compare/)
            hovertemplate="<b>%{x}</b><br>%{hovertext}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_hline(y=0, line=dict(color="#222", width=1, dash="dot"))
    fig.update_layout(
        title=title,
        xaxis=dict(title="training checkpoint", categoryorder="array", categoryarray=x),
        yaxis=dict(title="B − A (points)", ticksuffix=" pts"),
    )
    return fig


# --- Eval-awareness split ------------------------------------------------------------------------------------------


def awareness_bars(rates: pl.DataFrame, names: dict[str, str], colors: dict[str, str]) -> go.Figure:
    """Rate per intervention, one bar per eval-awareness class (95% Wilson error bars, n in the hover)."""
    title = "Rate by intervention and what the model believed"
    shown = rates.filter(pl.col("n") > 0)
    if shown.is_empty():
        return _empty(title)
    fig = go.Figure()
    for cls in rates.get_column("awareness").unique(maintain_order=True).to_list():
        rows = shown.filter(pl.col("awareness") == cls).to_dicts()
        if not rows:
            continue
        fig.add_trace(
            go.Bar(
                name=names.get(cls, cls),
                x=[_t(r["intervention"]) for r in rows],
                y=[r["rate"] for r in rows],
                error_y=_error_bars(rows, "rate"),
                marker_color=colors.get(cls, PALETTE[0]),
                customdata=[AWARENESS_CELL.row(intervention=r["intervention"], believed=cls) for r in rows],
                hovertext=[f"<b>{_t(r['intervention'])}</b> · {names.get(cls, cls)}<br>{_hover(r)}" for r in rows],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="group",
        yaxis=dict(title="rate", tickformat=".0%", range=[0, 1.05]),
        legend=dict(orientation="h", yanchor="top", y=-0.2),
    )
    return fig


def awareness_lines(rates: pl.DataFrame, names: dict[str, str], colors: dict[str, str]) -> go.Figure:
    """Rate along training: one panel per eval-awareness class, a line per intervention with 95% Wilson bars."""
    from plotly.subplots import make_subplots

    title = "Rate across training, by what the model believed"
    points = rates.filter(pl.col("n") > 0)
    if points.is_empty():
        return _empty(title)
    points = checkpoint_labels(points)
    order = points.sort("stage_rank", "stage_step").get_column("checkpoint_name").unique(maintain_order=True).to_list()
    order = [_t(c) for c in order]
    classes = [c for c in rates.get_column("awareness").unique(maintain_order=True).to_list() if c in names]
    fig = make_subplots(rows=1, cols=len(classes), shared_yaxes=True, subplot_titles=[names[c] for c in classes])
    for col, cls in enumerate(classes, start=1):
        for iv in sorted(points.get_column("intervention").unique().to_list()):
            rows = points.filter((pl.col("awareness") == cls) & (pl.col("intervention") == iv))
            rows = rows.sort("stage_rank", "stage_step").to_dicts()
            if not rows:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[_t(r["checkpoint_name"]) for r in rows],
                    y=[r["rate"] for r in rows],
                    mode="lines+markers",
                    name=_t(iv),
                    legendgroup=iv,
                    showlegend=col == 1,
                    line=dict(color=colors.get(iv, PALETTE[0])),
                    error_y=_error_bars(rows, "rate", color=colors.get(iv, PALETTE[0])),
                    customdata=[
                        CHECKPOINT.row(intervention=iv, stage=r["training_stage"], step=r["stage_step"]) for r in rows
                    ],
                    hovertext=[f"<b>{_t(iv)}</b> at {_t(r['checkpoint_name'])}<br>{_hover(r)}" for r in rows],
                    hovertemplate="%{hovertext}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(categoryorder="array", categoryarray=order, tickangle=-45, row=1, col=col)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_layout(title=title, legend=dict(orientation="h", yanchor="top", y=-0.35), height=460)
    return fig


def awareness_shares(rates: pl.DataFrame, names: dict[str, str], colors: dict[str, str]) -> go.Figure:
    """Share of each intervention's graded transcripts in each eval-awareness class (stacked to 100%)."""
    title = "What the model believed: share of graded transcripts"
    shown = rates.filter(pl.col("n") > 0)
    if shown.is_empty():
        return _empty(title)
    interventions = sorted(shown.get_column("intervention").unique().to_list())
    fig = go.Figure()
    for cls in rates.get_column("awareness").unique(maintain_order=True).to_list():
        rows = {r["intervention"]: r for r in shown.filter(pl.col("awareness") == cls).to_dicts()}
        if not rows:
            continue
        fig.add_trace(
            go.Bar(
                name=names.get(cls, cls),
                y=[_t(iv) for iv in interventions],
                x=[rows[iv]["share"] if iv in rows else 0 for iv in interventions],
                orientation="h",
                marker_color=colors.get(cls, PALETTE[0]),
                text=[_pct(rows[iv]["share"]) if iv in rows else "" for iv in interventions],
                customdata=[SHARE.row(n=rows[iv]["n"] if iv in rows else 0) for iv in interventions],
                hovertemplate=f"<b>%{{y}}</b> · {names.get(cls, cls)}: %{{x:.1%}} "
                f"(n=%{{{SHARE.ref('n')}}})<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="stack",
        xaxis=dict(title="share of graded transcripts", tickformat=".0%", range=[0, 1]),
        yaxis=dict(categoryorder="array", categoryarray=[_t(iv) for iv in interventions[::-1]]),
        height=max(260, 130 + 38 * len(interventions)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, traceorder="normal"),
        margin=dict(t=90),
    )
    return fig


def variable_heatmap(rates: pl.DataFrame, variable: str, pooled: str) -> go.Figure:
    """Drivers: one scenario variable's values × interventions (the `pooled` column first: every intervention), one
    square per cell coloured by rate; each point's customdata is [intervention, value] (the drill-down's cell)."""
    title = f"Rate by {_t(variable)} × intervention"
    cells = rates.filter(pl.col("n") > 0).to_dicts()
    if not cells:
        return _empty(title)
    values = sorted({c["value"] for c in cells})
    columns = [pooled] + sorted({c["intervention"] for c in cells} - {pooled})
    frame = _square_cells(columns, [_t(v) for v in values], right=110, x_angle=True)
    fig = go.Figure(
        _rate_squares(
            cells,
            x=[_t(c["intervention"]) for c in cells],
            y=[_t(c["value"]) for c in cells],
            customdata=[DRIVER_CELL.row(intervention=c["intervention"], value=c["value"]) for c in cells],
            size=frame.pop("cell") - 6,
            line=dict(color="#fff", width=1),
        )
    )
    fig.update_layout(
        title=title,
        xaxis=dict(categoryorder="array", categoryarray=[_t(c) for c in columns], showgrid=False, tickangle=-30),
        yaxis=dict(categoryorder="array", categoryarray=[_t(v) for v in reversed(values)], showgrid=False),
        plot_bgcolor="#fff",
        **frame,
    )
    return fig
