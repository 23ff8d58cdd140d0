"""Agreement: do two verdict sources agree, how much (with an interval), and on which transcripts not?

URL: `x` and `y` (the two verdict sources), plus the sidebar's filters, which choose the transcripts.
"""

import streamlit as st

from evalboard import agreement as ag
from evalboard import metrics, reviews
from evalboard.fmt import literal
from evalboard.session import (
    current_view,
    end_page,
    ensure_entrypoint,
    get_store,
    open_transcripts,
    pinned_selectbox,
    table,
    warn,
)
from evalboard.transcript_text import inert_markdown as md
from evalboard.view import SOURCE_KEY

ensure_entrypoint()
store = get_store()
view = current_view()
sources = metrics.filter_options(store)[SOURCE_KEY]

st.title("Agreement between verdict sources")
st.caption(
    "Pick two verdict sources (a grader, the raw classifier, human reviews …): on the transcripts of this view that "
    "both graded, how often they agree, Cohen's kappa, and the rate under each. Every cell of disagreement opens "
    "exactly those transcripts."
)

given = reviews.all_reviews(store)
if given.height:
    with st.expander(f"Human reviews in this dataset: {given.height:,} — export", icon=":material/download:"):
        st.caption("Every review as stored (one row per review; nothing merged): who, when (UTC), what, the note, and "
                   "the primary verdict it was given against.")  # fmt: skip
        csv_col, jsonl_col = st.columns(2)
        csv_col.download_button(
            "Download all reviews (CSV)",
            data=lambda: reviews.to_csv(reviews.all_reviews(store)),
            file_name="evalboard-reviews.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
        )
        jsonl_col.download_button(
            "Download all reviews (JSONL)",
            data=lambda: reviews.to_jsonl(reviews.all_reviews(store)),
            file_name="evalboard-reviews.jsonl",
            mime="application/x-ndjson",
            on_click="ignore",
            icon=":material/download:",
        )

for key in ag.URL_KEYS:  # a source named in a shared link that this dataset lacks
    asked = st.query_params.get(key)
    if asked is not None and key not in st.session_state and asked not in sources:
        warn(ag.ignored_source(key, asked, sources))

if len(sources) < 2:
    st.info(
        "This dataset has one verdict source only (primary, the samples' own verdict). Import a dataset with a "
        "`verdicts/` folder (a second grader, the raw classifier) or review transcripts on the Transcripts page to "
        "compare graders here.",
        icon=":material/info:",
    )
    end_page()

asked_x, asked_y = ag.asked_pair(st.query_params.to_dict())
default_x, default_y = ag.default_pair(sources, asked_x, asked_y)
if any(st.query_params.get(key) for key in ag.LEFT_BY_THE_WAY_BACK[1:]):  # the entry a page switch left (asked_pair)
    for key in ag.LEFT_BY_THE_WAY_BACK:
        st.query_params.pop(key, None)
left, right = st.columns(2)
x = pinned_selectbox("x — the reference", sources, ag.X_KEY, default_x, where=left)
y = pinned_selectbox("y — compared with x", sources, ag.Y_KEY, default_y, where=right)
problems = ag.sources_problems(x, y, sources)
if problems:
    for problem in problems:
        st.warning(problem, icon=":material/compare_arrows:")
    end_page()

result = ag.compute(store, view, x, y)
overall = result.overall
reason = ag.no_numbers_reason(overall)
if reason:
    st.warning(
        f"No agreement to measure: {reason} ({overall.x_graded:,} graded by {literal(x)}, {overall.y_graded:,} by "
        f"{literal(y)}). Clear a sidebar filter or pick other sources.",
        icon=":material/search_off:",
    )
    end_page()

with st.container(border=True):
    st.markdown(md(ag.headline(result)))

n_col, agree_col, kappa_col, change_col = st.columns(4)
n_col.metric("Transcripts both graded", f"{overall.n:,}")
agree_col.metric("Percent agreement", ag.pct(overall.agreement))
kappa = overall.kappa
kappa_col.metric("Cohen's kappa", f"{kappa.kappa:.2f}" if kappa.kappa is not None else "—")
kappa_col.caption(md(f"95% CI [{kappa.lo:.2f}, {kappa.hi:.2f}]" if kappa.kappa is not None else ag.kappa_text(kappa)))
change_col.metric("Would change the headline", f"{overall.discordant:,}", help="transcripts the two disagree on")

st.subheader("Confusion matrix")
st.caption(f"Rows: {literal(x)}'s verdict; columns: {literal(y)}'s. Click a cell to read exactly those transcripts.")
counts = ag.cell_counts(overall)
header = st.columns([2, 3, 3])
header[1].markdown(f"**{literal(y)}: harmful**")
header[2].markdown(f"**{literal(y)}: safe**")
for x_harmful in (True, False):
    row = st.columns([2, 3, 3])
    row[0].markdown(f"**{literal(x)}: {ag.VERDICT_WORD[x_harmful]}**")
    for column, y_harmful in zip(row[1:], (True, False), strict=True):
        n = counts[(x_harmful, y_harmful)]
        disagree = x_harmful != y_harmful
        column.button(
            f"{n:,} transcripts" + (" · disagree" if disagree else ""),
            key=f"cell-{x_harmful}-{y_harmful}",
            type="primary" if disagree and n else "secondary",
            disabled=n == 0,
            icon=":material/forum:",
            on_click=open_transcripts,
            args=(ag.transcripts_link(view, x, y, x_harmful, y_harmful),),
            width="stretch",
        )

st.subheader("Rates side by side")
table(ag.rates_frame(overall, x, y), ("source",))  # three rows: static

st.subheader("Per scenario family")
st.caption(md(f"n: transcripts both graded; {x} and {y}: the rate under each (95% Wilson); {y} − {x}: paired "
              "difference (95% Newcombe)."))  # fmt: skip
families = ag.frame(result.by_family, x, y, "scenario_family")
event = st.dataframe(
    families, hide_index=True, on_select="rerun", selection_mode="single-row", key="agreement_families"
)
chosen = result.by_family[event.selection.rows[0]] if event.selection.rows else None
if chosen is not None:
    st.markdown(f"Disagreements in **{literal(chosen.label)}**:")
    a, b = st.columns(2)
    for column, (x_harmful, y_harmful, n) in zip(
        (a, b), ((True, False, chosen.x_only), (False, True, chosen.y_only)), strict=True
    ):
        column.button(
            f"{n:,}: {literal(x)} {ag.VERDICT_WORD[x_harmful]}, {literal(y)} {ag.VERDICT_WORD[y_harmful]}",
            key=f"family-cell-{x_harmful}",
            disabled=n == 0,
            icon=":material/forum:",
            on_click=open_transcripts,
            args=(ag.transcripts_link(view, x, y, x_harmful, y_harmful, chosen.label),),
        )
else:
    st.caption("Select a family to open its disagreements.")

st.subheader("Per intervention")
st.dataframe(ag.frame(result.by_intervention, x, y, "intervention"), hide_index=True)

st.subheader("Review queue")
queue, total = ag.review_queue(store, view, x, y)
if total:
    st.caption(
        f"{total:,} transcript(s) in this view where {literal(x)} and {literal(y)} disagree and no human has reviewed"
        + (f"; the first {ag.QUEUE_LIMIT} are listed" if total > ag.QUEUE_LIMIT else "")
        + ". Narrow it with the sidebar's filters; the link keeps them. Select a row to read and review it."
    )

    def _open_queued() -> None:
        rows = st.session_state["review_queue"].selection.rows
        if rows:
            open_transcripts(ag.queue_link(current_view(), x, y, queue["sample_id"][rows[0]]))

    st.dataframe(
        queue,
        hide_index=True,
        on_select=_open_queued,
        selection_mode="single-row",
        key="review_queue",
        column_config={"sample_id": None},  # the row's id, not shown: the viewer shows it
    )
else:
    st.success("Every disagreement in this view has been reviewed.", icon=":material/task_alt:")

with st.expander("How these numbers are computed"):
    st.markdown(ag.METHOD)
    st.markdown(
        "Each transcript counts once per source: its latest verdict from that source (for human reviews, the latest "
        "review; 'unsure' is no verdict). Only transcripts both sources graded enter the table."
    )
