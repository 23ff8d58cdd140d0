"""Overview: harmful-action rate by intervention, across training, and by scenario family."""

import streamlit as st

from evalboard import charts, metrics
from evalboard.session import current_view, get_store

store = get_store()
view = current_view()
health = store.health
colors = charts.colors_for(metrics.filter_options(store)["intervention"])

st.title("Blackmail rate")
st.caption(
    "Share of graded transcripts in which the model took the harmful action its honeypot offers "
    "(blackmail, leaking, …). Every rate shows n and a 95% Wilson interval; ungraded samples are "
    "left out of the denominators."
)

by_intervention = metrics.rates(store, "rate_by_intervention", view)
if by_intervention.get_column("n").sum() == 0:
    st.info(
        "No graded samples match these filters. Clear a filter in the sidebar to see more.", icon=":material/search:"
    )
    st.stop()

ungraded = by_intervention.get_column("ungraded").sum()
if ungraded:
    st.caption(f"{ungraded:,} ungraded sample(s) in this view (grader error or no verdict) are not counted.")

st.plotly_chart(charts.rate_bars(by_intervention, colors), key="by_intervention", width="stretch")

by_stage = metrics.rates(store, "rate_by_stage", view)
st.plotly_chart(charts.rate_lines(by_stage, colors), key="by_stage", width="stretch")

by_family = metrics.rates(store, "rate_by_family", view)
st.plotly_chart(charts.family_heatmap(by_family, health.manifest.held_out_families), key="by_family", width="stretch")
if health.manifest.held_out_families:
    st.caption(
        "Held-out families (outlined, listed last) were kept out of every intervention's training data: "
        + ", ".join(health.manifest.held_out_families)
    )

with st.expander("The numbers behind the charts"):
    st.dataframe(charts.rate_table(by_intervention, "intervention"), hide_index=True)
    st.dataframe(charts.rate_table(by_family, "scenario_family", "intervention"), hide_index=True)
