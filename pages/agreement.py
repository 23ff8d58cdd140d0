"""Agreement: do two verdict sources agree, how much (with an interval), and on which transcripts not?

URL: `x` and `y` (the two verdict sources), plus the sidebar's filters, which choose the transcripts.
"""

import streamlit as st

from evalboard.core import links
from evalboard.core.fmt import literal
from evalboard.core.stats import CORRECTION_METHOD
from evalboard.core.transcript_text import inert_markdown as inert
from evalboard.core.view import SOURCE_KEY
from evalboard.data import reviews
from evalboard.screens import agreement as ag
from evalboard.screens import calibration as cal
from evalboard.screens import metrics
from evalboard.screens import transcripts as samples
from evalboard.screens.access import who_may_review
from evalboard.ui.session import (
    current_view,
    end_page,
    ensure_entrypoint,
    get_store,
    open_transcripts,
    pin_to_url,
    pinned_selectbox,
    table,
    warn,
)
from evalboard.ui.signin import stamped, visitor

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
            data=lambda: stamped(reviews.to_csv(reviews.all_reviews(store)), "csv"),
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


# --- Calibration against people (docs/ARCHITECTURE.md, "Calibration"): shown whatever the pair of sources above ----
def calibration_section() -> None:
    """Draw a calibration sample, its queue, each grader's error against people, many raters."""
    st.header("Calibration: each grader's error, measured against people")
    calibration = cal.load(store)

    def _draw_sample() -> None:
        """Button callback: draw and store a calibration sample of the view; the outcome is shown on this run."""
        try:
            path = cal.draw(
                store,
                current_view(),
                int(st.session_state["calibration_per_stratum"]),
                int(st.session_state["calibration_seed"]),
            )
        except cal.CalibrationError as exc:
            st.session_state["_calibration_outcome"] = ("error", str(exc))
        except OSError as exc:
            st.session_state["_calibration_outcome"] = (
                "error",
                f"The sample could not be saved: {exc.strerror or exc}.",
            )
        else:
            st.session_state["_calibration_outcome"] = ("ok", f"Drew a calibration sample ({cal.draw_name(path)}).")

    with st.container(border=True):
        st.caption(
            "Draw a seeded random sample of this view's graded transcripts for human review, stratified by scenario "
            "family × primary verdict (the same seed and size draw the same transcripts). It replaces the sample in "
            "force; reviews opened from its queue measure every grader's sensitivity and specificity."
        )
        size_col, seed_col = st.columns(2)
        per_stratum, seed = cal.draw_settings(calibration)  # the sample in force's, so redrawing it changes nothing
        size_col.number_input(
            "Transcripts per stratum", 1, cal.MAX_PER_STRATUM, per_stratum, key="calibration_per_stratum"
        )
        seed_col.number_input("Seed", 0, 2**31 - 1, seed, key="calibration_seed")
        st.button(
            "Draw a new calibration sample" if calibration.drawn else "Draw a calibration sample",
            key="calibration_draw",
            on_click=_draw_sample,
            icon=":material/casino:",
        )
        outcome = st.session_state.pop("_calibration_outcome", None)
        if outcome is not None:
            kind, text = outcome
            (st.success if kind == "ok" else st.error)(text, icon=":material/casino:")
            calibration = cal.load(store)

    if not calibration.drawn:
        if calibration.disagreement_reviews:
            st.info(
                f"The {calibration.disagreement_reviews:,} reviews from the disagreement queue cannot measure a "
                "grader's error (they were chosen because graders disagree). Draw a calibration sample.",
                icon=":material/info:",
            )
    else:
        first = calibration.items.row(0, named=True)
        st.markdown(
            inert(
                f"Sample in force: {calibration.items.height:,} transcripts (seed {first['seed']}), "
                f"{calibration.reviewed:,} with a human verdict from its queue."
            )
        )
        table(cal.strata(calibration.items), ("stratum",))
        cal_queue = cal.queue(calibration)

        def _open_calibration() -> None:
            rows = st.session_state["calibration_queue"].selection.rows
            if rows:
                open_transcripts(
                    links.transcripts(
                        current_view().to_query_params(),
                        sample=cal_queue["sample_id"][rows[0]],
                        queue=reviews.CALIBRATION_QUEUE,
                    )
                )

        st.caption(
            "Calibration queue: fewest votes first, in the draw's random order. Select a row to read and review it."
        )
        st.dataframe(
            cal_queue,
            hide_index=True,
            on_select=_open_calibration,
            selection_mode="single-row",
            key="calibration_queue",
        )

        st.subheader("Each grader against people")
        errors = cal.error_frame(calibration)
        if errors.height:
            table(errors, ("source",))
            by_family = cal.family_error_frame(calibration)
            if by_family.height:
                with st.expander("Per scenario family"):
                    table(by_family, ("source", "scenario_family"))
        else:
            st.info("No transcript of the calibration sample has a human verdict yet.", icon=":material/info:")

        r = cal.raters(store, calibration)
        st.subheader("Many raters")
        left_col, right_col = st.columns(2)
        left_col.metric(
            f"Krippendorff's alpha, {len(r.sources)} sources [95% CI]",
            r.alpha.describe().split(" (")[0] if r.alpha.alpha is not None and len(r.sources) >= 3 else "—",
            help="graders and the human majority on the reviewed calibration transcripts; bootstrap over transcripts",
        )
        if len(r.sources) < 3:
            left_col.caption("Alpha is shown with three or more sources.")
        agreeing, pairs = r.pairs_agreeing
        right_col.metric(
            "Reviewers agreeing (pairs of votes)",
            f"{100 * agreeing / pairs:.0f}% of {pairs:,}" if pairs else "—",
            help="on transcripts with two or more reviewers' votes, whatever their queue",
        )
        right_col.caption(inert(f"Inter-human alpha: {r.human_alpha.describe()}"))
        if len(r.sources) >= 3:
            st.caption("Pairwise Cohen's kappa on the reviewed calibration transcripts (unweighted).")
            st.dataframe(cal.kappa_matrix(r), hide_index=True)  # a grid: its headers (source names) stay plain text
            overlaps = cal.overlap_frame(r)
            if overlaps.height:
                st.caption("Do the graders fail on the same transcripts? Errors against the human verdict, per pair.")
                table(overlaps, ("graders",))
        if r.contested.height:
            st.markdown(
                f"**Contested transcripts** (votes split between harmful and not harmful): {r.contested.height:,}"
            )
            table(r.contested, ("sample_id", "reviewers"))

    with st.expander("How calibration is computed"):
        st.markdown(cal.HUMAN_RULE)
        st.markdown(cal.ERROR_METHOD)
        st.markdown(CORRECTION_METHOD)


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
    calibration_section()
    end_page()

asked_x, asked_y = ag.asked_pair(st.query_params.to_dict())
default_x, default_y = ag.default_pair(sources, asked_x, asked_y)
if any(st.query_params.get(key) for key in ag.LEFT_BY_THE_WAY_BACK[1:]):  # the entry a page switch left (asked_pair)
    for key in ag.LEFT_BY_THE_WAY_BACK:
        st.query_params.pop(key, None)
left, right = st.columns(2)
picked: dict[str, str] = {}  # both pickers written to the address bar in one message (one history entry)
x = pinned_selectbox("x — the reference", sources, ag.X_KEY, default_x, where=left, pending=picked)
y = pinned_selectbox("y — compared with x", sources, ag.Y_KEY, default_y, where=right, pending=picked)
pin_to_url(picked)
problems = ag.sources_problems(x, y, sources)
if problems:
    for problem in problems:
        st.warning(problem, icon=":material/compare_arrows:")
    calibration_section()
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
    calibration_section()
    end_page()

with st.container(border=True):
    st.markdown(inert(ag.headline(result)))
with st.expander("How many of this view's transcripts each source judged"):
    table(cal.coverage_frame(store, view), ("source",))

n_col, agree_col, kappa_col, change_col = st.columns(4)
n_col.metric("Transcripts both graded", f"{overall.n:,}")
agree_col.metric("Percent agreement", ag.pct(overall.agreement))
kappa = overall.kappa
kappa_col.metric("Cohen's kappa", f"{kappa.kappa:.2f}" if kappa.kappa is not None else "—")
kappa_col.caption(
    inert(f"95% CI [{kappa.lo:.2f}, {kappa.hi:.2f}]" if kappa.kappa is not None else ag.kappa_text(kappa))
)
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
st.caption(ag.sources_caption(x, y) + " n: transcripts both graded; rate under x and under y: the rate with its 95% "
           "Wilson interval and (harmful/n); y − x: paired difference (95% Newcombe).")  # fmt: skip
# Rates wrap over two lines of a narrower column: the grids fit the page at 1280 px.
RATE_COLUMNS = {name: st.column_config.TextColumn(width=125) for name in ("rate under x", "rate under y")}
RATE_COLUMNS["y − x"] = st.column_config.TextColumn(width=100)
families = ag.frame(result.by_family, x, y, "scenario_family")
event = st.dataframe(
    families,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="agreement_families",
    column_config=RATE_COLUMNS,
    row_height=samples.THREE_LINES,
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
st.caption(ag.sources_caption(x, y))
st.dataframe(
    ag.frame(result.by_intervention, x, y, "intervention"),
    hide_index=True,
    column_config=RATE_COLUMNS,
    row_height=samples.THREE_LINES,
)

st.subheader("Review queue: disagreements")
st.caption(
    "Reviews opened from this queue are recorded as such and never measure a grader's error: these transcripts were "
    "chosen because the graders disagree. Use the calibration sample below for that."
)
if not (who := visitor()).may_review:
    st.caption(f"You can read the queue; {who_may_review(who.access)}")
queue, total = ag.review_queue(store, view, x, y)
if total:
    st.caption(
        f"{total:,} transcript(s) in this view where x = {literal(x)} and y = {literal(y)} disagree and no human has "
        "reviewed"
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
        column_config={  # the row's id, not shown: the viewer shows it
            "sample_id": None,
            "sample": st.column_config.TextColumn(width=samples.SAMPLE_WIDTH, help=samples.SAMPLE_FIELDS),
        },
        row_height=samples.THREE_LINES,
    )
else:
    st.success("Every disagreement in this view has been reviewed.", icon=":material/task_alt:")

with st.expander("How these numbers are computed"):
    st.markdown(ag.METHOD)
    st.markdown(
        "Each transcript counts once per source: its latest verdict from that source (for human reviews, the latest "
        "review; 'unsure' is no verdict). Only transcripts both sources graded enter the table."
    )

calibration_section()
