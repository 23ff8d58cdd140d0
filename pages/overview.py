"""Overview: harmful-action rate by intervention, across training, and by scenario family."""

from functools import partial

import polars as pl
import streamlit as st

from evalboard.core.fmt import literal, quoted_columns, sentence
from evalboard.core.stats import SIGNIFICANCE_RULE
from evalboard.core.transcript_text import inert_markdown as inert
from evalboard.present import charts, drilldown
from evalboard.screens import awareness, calibration, metrics, overview, trends
from evalboard.ui.session import (
    awareness_split,
    current_view,
    end_page,
    ensure_entrypoint,
    get_store,
    open_transcripts,
)

ensure_entrypoint()
store = get_store()
view = current_view()


def open_cell(chart: str) -> None:
    """Click on a chart → the Transcripts page narrowed to that cell."""
    cell = drilldown.selected_cell(chart, st.session_state[chart].selection)
    if cell is not None:
        open_transcripts(drilldown.transcripts_state(current_view(), cell))


def open_aware_cell(source: str) -> None:
    """Click on a bar of the eval-awareness split → that intervention's transcripts of that class."""
    cell = drilldown.selected_cell("aware_bars", st.session_state["aware_bars"].selection)
    if cell is not None:
        open_transcripts(drilldown.transcripts_state(current_view(), cell, **{awareness.BELIEVED_SOURCE_KEY: source}))


def show_all_snapshots() -> None:
    st.session_state["snapshot"] = []  # app.py then writes snapshots=all, so the link reopens this view


def clickable_chart(figure, key: str, width: str = "stretch") -> None:
    st.plotly_chart(figure, key=key, on_select=partial(open_cell, key), selection_mode="points", width=width)


def quoted(table: pl.DataFrame) -> pl.DataFrame:
    """The table's names from the data quoted for `st.table`."""
    return quoted_columns(table, ("intervention", "scenario_family"))


health = store.health
colors = charts.colors_for(metrics.filter_options(store)["intervention"])

st.title("Blackmail rate")
st.caption(
    "Click any bar, point or cell to read the transcripts behind it. "
    "Share of graded transcripts in which the model took the harmful action its honeypot offers "
    "(blackmail, leaking, …). Every rate shows n and a 95% Wilson interval; ungraded samples are "
    "left out of the denominators."
)

snapshots = metrics.filter_options(store)["snapshot"]
if newest := overview.newest_snapshot_note(view.snapshots, snapshots):
    note, widen = st.columns([3, 1], vertical_alignment="center")
    note.markdown(
        f"**{sentence(newest, snapshots)}** — one model generation; pooling generations would average different models."
    )
    widen.button(f"Show all {len(snapshots)} snapshots", on_click=show_all_snapshots, icon=":material/unfold_more:")

by_intervention = metrics.rate_by_intervention(store, view)
if by_intervention.get_column("n").sum() == 0:
    filtered, ungraded = bool(view.to_query_params()), int(by_intervention.get_column("ungraded").sum())
    st.info(
        overview.no_rates_message(filtered, ungraded),  # our own words and a count
        icon=":material/rate_review:" if ungraded else ":material/search:",
    )
    if ungraded:
        st.page_link("pages/data_health.py", label="Data health", icon=":material/health_and_safety:")
    end_page()

ungraded = by_intervention.get_column("ungraded").sum()
if ungraded:
    st.caption(f"{ungraded:,} ungraded sample(s) in this view (grader error or no verdict) are not counted.")

source = awareness_split(store)
if source:
    split = overview.awareness_by_intervention(store, view, source)
    names = awareness.NAMES
    st.plotly_chart(
        charts.awareness_bars(split, names, awareness.COLORS),
        key="aware_bars",
        on_select=partial(open_aware_cell, source),
        selection_mode="points",
        width="stretch",
    )
    st.markdown(f"**Rate by what the model believed** (labels from {literal(source)}; 95% Wilson intervals, n)")
    st.table(quoted(awareness.table(split, "intervention")))
    apart = split.filter(pl.col("awareness").is_in(awareness.APART) & (pl.col("n") > 0))
    if apart.height:
        st.caption(
            f"{apart.get_column('n').sum():,} graded transcript(s) have no usable label from {literal(source)} "
            "('no label' or 'unrecognised label'); they are shown apart, not counted in any class."
        )
    st.plotly_chart(charts.awareness_shares(split, names, awareness.COLORS), key="aware_shares", width="stretch")
    by_stage_split = overview.awareness_by_stage(store, view, source)
    st.plotly_chart(charts.awareness_lines(by_stage_split, names, colors), key="aware_stage", width="stretch")
else:
    clickable_chart(charts.rate_bars(by_intervention, colors), "by_intervention")
    by_stage = metrics.rate_by_stage(store, view)
    if weighting := overview.heavy_checkpoints(by_stage):
        st.caption(inert(weighting))
    clickable_chart(charts.rate_lines(by_stage, colors), "by_stage")
    training = trends.training_counts(store, view)
    names = set(metrics.filter_options(store)["intervention"])
    through_rl = trends.trends(training)
    st.markdown("\n".join(f"- {sentence(trends.trend_sentence(run), names)}" for run in through_rl))
    st.caption(trends.TREND_NOTE)

if note := calibration.coverage_note(store, view):
    st.caption(sentence(note, [view.source]))
if st.toggle("Show rates corrected for grader error", key=calibration.CORRECTED_KEY, bind="query-params"):
    measured = calibration.load(store)
    st.markdown("**Corrected for the grader's measured error** (Rogan–Gladen; 95% parametric-bootstrap interval)")
    st.caption(sentence(calibration.correction_basis(measured, view.source), [view.source]))
    st.table(quoted(calibration.corrected_table(measured, view.source, by_intervention, "intervention")))

by_family = metrics.rate_by_family(store, view)
clickable_chart(charts.family_heatmap(by_family, health.manifest.held_out_families), "by_family", "content")
if health.manifest.held_out_families:
    st.caption(
        "Held-out families (outlined, listed last) were kept out of every intervention's training data: "
        + ", ".join(literal(f) for f in health.manifest.held_out_families)
    )
    carried = trends.held_out_gains(trends.training_counts(store, view), health.manifest.held_out_families)
    if carried:
        st.markdown("**Does the gain carry to held-out families?**")
        held_out, gap = health.manifest.held_out_families, trends.gap_sentence
        words = set(metrics.filter_options(store)["intervention"]) | set(held_out)
        st.markdown("\n".join(f"- {sentence(gap(r.intervention, r.gap, r.call, held_out), words)}" for r in carried))
        st.caption(trends.HELD_OUT_NOTE + SIGNIFICANCE_RULE)
        st.download_button(
            "Download the trends and held-out gains as CSV",
            data=lambda: trends.to_csv(
                trends.trends(trends.training_counts(store, view)), carried, view.to_query_params(),
                health.manifest.title or health.root.name,
            ),
            file_name="evalboard-trends.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
        )  # fmt: skip


@st.fragment
def numbers(by_intervention: pl.DataFrame, by_family: pl.DataFrame) -> None:
    """The charts' numbers as tables, built only while the expander is open: opening it reruns this fragment alone
    (bench/README.md, "Page speed, round 2")."""
    with st.expander("The numbers behind the charts", key="overview_numbers", on_change="rerun") as box:
        if box.open:
            st.table(quoted(charts.rate_table(by_intervention, "intervention")))
            st.table(quoted(charts.rate_table(by_family, "scenario_family", "intervention")))


numbers(by_intervention, by_family)
