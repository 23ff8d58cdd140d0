"""Drivers: which scenario variable moves the harmful rate, and whether each intervention's gain holds at every value.

URL: the sidebar filters, plus `key` (the variable shown in detail, e.g. `?key=urgency_type`).
"""

import streamlit as st

from evalboard.core.fmt import literal, sentence
from evalboard.core.stats import SIGNIFICANCE_RULE
from evalboard.present import charts, drilldown
from evalboard.screens import drivers
from evalboard.ui.session import current_view, end_page, ensure_entrypoint, get_store, open_transcripts, table, warn

ensure_entrypoint()
store = get_store()
view = current_view()
health = store.health

st.title("What drives the rate")
st.caption(
    "Every scenario variable in this view — each `conditions` key, the scenario and its family — ranked by how far "
    "apart its values put the harmful rate, within the sidebar's filters (the rates pool the view's snapshots, "
    "interventions and checkpoints: narrow the sidebar to read within one). Click a cell to read its transcripts."
)

counts = drivers.counts(store, view)
ranking = drivers.rank(counts)
if not ranking.variables:
    st.info(
        "No scenario variable takes two values among the graded samples of this view, so there is nothing to rank. "
        "Widen the filters in the sidebar.",
        icon=":material/search:",
    )
    end_page()

names = [name for v in ranking.variables for name in v.names]
requested = st.query_params.get(drivers.KEY) if drivers.KEY not in st.session_state else None
shown, warning = drivers.choose(ranking, requested)
if warning:  # the bound picker below drops a value it does not offer and shows the top-ranked variable
    warn(warning)

st.subheader("Ranking")
table(drivers.ranking_frame(ranking), ("variable", "highest → lowest", "note"))
st.caption(
    "Spread: the highest value's rate minus the lowest's, with a 95% Newcombe interval (the two are picked after "
    "looking, so it is a little optimistic; the test is the guard). Test: likelihood-ratio test of equal rates at "
    "every value, Holm across the rows. Confounded variables (each value of one always comes with one value of the "
    "other) share a row; a variable that combines others (each of its values falls within one of theirs) is ranked "
    f"after them. {SIGNIFICANCE_RULE}"
)
if ranking.constant:
    st.caption(
        "One value in this view: " + ", ".join(f"{literal(k)} = {literal(v)}" for k, v in ranking.constant) + "."
    )

variable = st.selectbox(
    "Variable in detail", names, key=drivers.KEY, bind="query-params", help="Its values, and each intervention's gain."
)
chosen = ranking.find(variable) or shown
assert chosen is not None
st.session_state["_driver_variable"] = chosen.name
words = {*chosen.names, *(lv.value for lv in chosen.levels)}
st.markdown(sentence(drivers.describe(chosen), words))


def open_cell() -> None:
    """Click on a heatmap cell → the Transcripts page narrowed to that value (and intervention)."""
    cell = drilldown.driver_cell(st.session_state["driver_cells"].selection)
    if cell is not None:
        intervention, value = cell
        state = drivers.transcripts_state(current_view(), st.session_state["_driver_variable"], value, intervention)
        open_transcripts(state)


st.plotly_chart(
    charts.variable_heatmap(drivers.heat_frame(counts, chosen), chosen.name, drivers.ALL),
    key="driver_cells",
    on_select=open_cell,
    selection_mode="points",
    width="content",  # its squares are sized to the data (charts._square_cells)
)
table(drivers.levels_frame(chosen), ("value",))

st.subheader("Does each intervention's gain hold at every value?")
gains = drivers.gains(counts, chosen)
if not gains:
    st.info(
        f"No intervention to set against {literal(drivers.BASELINE)} in this view: pick {literal(drivers.BASELINE)} "
        "and another intervention in the sidebar (or clear the filter).",
        icon=":material/compare_arrows:",
    )
else:
    interventions = {g.intervention for g in gains} | {drivers.BASELINE}
    st.markdown("\n".join(f"- {sentence(drivers.gain_sentence(g, chosen.name), words | interventions)}" for g in gains))
    st.caption(
        f"Gain = intervention − {drivers.BASELINE} at each value, both at the snapshots and checkpoints where both "
        "have samples of it, with a 95% Newcombe interval; Fisher's exact test, Holm across the values."
    )

st.download_button(
    "Download as CSV",
    data=lambda: drivers.to_csv(
        ranking, chosen, gains, view.to_query_params(), health.manifest.title or health.root.name
    ),
    file_name="evalboard-drivers.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
