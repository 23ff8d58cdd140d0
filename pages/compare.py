"""Compare: is B better than A, where, by how much, and is it real? Two runs side by side.

URL: a_snapshot, a_intervention, a_stage, b_snapshot, b_intervention, b_stage (checkpoints written like
"rl@1000" or "sft"), plus the sidebar's family and grader filters, which apply here.
"""

import streamlit as st

from evalboard.core.fmt import literal, sentence
from evalboard.core.stats import SIGNIFICANCE_RULE
from evalboard.present import charts
from evalboard.screens import awareness, calibration, overview, trends
from evalboard.screens.compare import export as cmp_export
from evalboard.screens.compare import frames as cmp_frames
from evalboard.screens.compare import result as cmp
from evalboard.screens.compare import stacking as cmp_stacking
from evalboard.screens.compare import text as cmp_text
from evalboard.ui.session import (
    awareness_split,
    current_view,
    end_page,
    ensure_entrypoint,
    folded,
    get_store,
    open_transcripts,
    pin_to_url,
    pinned_selectbox,
    sections,
    share_url,
    table,
)
from evalboard.ui.signin import stamped

ensure_entrypoint()
store = get_store()
view = current_view()
health = store.health
options = cmp.load_options(store)
# The data's names, quoted wherever they appear in our sentences: a checkpoint by its URL label and by its stage name
# (the reading form, "RL step 1,000", holds the data's stage name when it is not a known one).
NAMES = {*options.snapshots, *options.interventions, *options.frame.get_column("checkpoint").to_list()}
NAMES |= set(options.frame.get_column("training_stage").to_list())
CHECKPOINT_NAMES = dict(options.frame.select("checkpoint", "checkpoint_name").iter_rows())  # rl@1000 → RL step 1,000


def md(text: object) -> str:
    """One of our sentences as Markdown, the dataset's names in it quoted."""
    return sentence(text, NAMES)


def swap_sides() -> None:
    for field in cmp.FIELDS:
        a_key, b_key = f"a_{field}", f"b_{field}"
        st.session_state[a_key], st.session_state[b_key] = st.session_state[b_key], st.session_state[a_key]


PICKED: dict[str, str] = {}  # the six pickers' values, written to the URL together (`pin_to_url`)


def pick(side: str, title: str, default: cmp.Side) -> cmp.Side:
    """Three pickers for one side, their values always in the URL (checkpoints there as `rl@1000`, read here as
    "RL step 1,000": docs/ARCHITECTURE.md, "Checkpoint labels")."""
    st.markdown(f"**{title}**")
    checkpoints = [c.label for c in options.checkpoints]
    snapshot = pinned_selectbox("Snapshot", options.snapshots, f"{side}_snapshot", default.snapshot, pending=PICKED)
    intervention = pinned_selectbox(
        "Intervention", options.interventions, f"{side}_intervention", default.intervention, pending=PICKED
    )
    checkpoint = pinned_selectbox(
        "Checkpoint", checkpoints, f"{side}_stage", default.checkpoint, format_func=CHECKPOINT_NAMES.get, pending=PICKED
    )
    return cmp.Side(snapshot, intervention, checkpoint)


st.title("Compare")
st.caption(
    "Is B better than A, where, by how much, and is it real? Rates are harmful actions over graded samples with "
    "95% Wilson intervals; the change B − A has a 95% Newcombe interval; significance is corrected across "
    "families (Holm). A shared link restores both sides."
)

for warning in cmp.url_warnings({key: st.query_params.get_all(key) for key in cmp.SIDE_KEYS}, options):
    st.warning(warning, icon=":material/warning:")

defaults = options.default_sides()
if defaults is None:
    st.info("The dataset holds no samples to compare.", icon=":material/inbox:")
    end_page()

left, right = st.columns(2)
with left:
    a = pick("a", "A — the reference", defaults[0])
with right:
    b = pick("b", "B — compared with A", defaults[1])
pin_to_url(PICKED)
st.button("Swap A and B", icon=":material/swap_horiz:", on_click=swap_sides, key="compare_swap")

if view.snapshots or view.interventions or view.stages:
    st.caption(
        "The sidebar's snapshot, intervention and stage filters do not apply here (A and B choose their own); "
        "its family and grader filters do."
    )

source = awareness_split(store)
problems = cmp.problems(a, b, options)
if problems:
    for problem in problems:
        st.warning(md(problem), icon=":material/compare_arrows:")
    end_page()

cells = cmp.load_cells(store, view)
pairs = cmp.load_pairs(store, a, b, options, view)
result = cmp.build(cells, a, b, options, health.manifest.held_out_families, pairs)
NAMES |= {row.family for row in result.rows}
if result.empty_sides:
    st.info(
        md(overview.empty_sides_message(list(result.empty_sides), bool(view.families or view.graders))),
        icon=":material/search:",
    )
    end_page()

split = None
if source:
    split = awareness.load_compare_split(store, a, b, options, view, source)
with st.container(border=True):
    st.markdown(md(cmp_text.headline(result)))
    held_out = trends.compare_held_out(cells, a, b, options, health.manifest.held_out_families)
    if held_out is not None:
        st.markdown(md(trends.gap_sentence("B", held_out, held_out.call, health.manifest.held_out_families, "A")))
    gaps = cmp.training_gaps(cells, a, b)  # does the change survive training: said here, drawn under "Training"
    st.markdown(md(cmp_text.training_summary(gaps)))
    if split:
        st.markdown(md(awareness.headline(split, result.pooled)))

if st.toggle("Show rates corrected for grader error", key=calibration.CORRECTED_KEY, bind="query-params"):
    measured = calibration.load(store)
    st.subheader("Corrected for the grader's measured error")
    st.caption(
        sentence(calibration.correction_basis(measured, view.source), [view.source])
        + " Rogan–Gladen with a 95% parametric-bootstrap interval; the verdicts below stay on the raw counts."
    )
    corrected_rows = [(r.label, r.comparison.a.k, r.comparison.a.n, r.comparison.b.k, r.comparison.b.n)
                      for r in (*result.rows, result.pooled)]  # fmt: skip
    table(calibration.corrected_sides(measured, view.source, corrected_rows), ("scenario_family",))
if note := calibration.coverage_note(store, view):
    st.caption(sentence(note, [view.source]))

if split:
    st.subheader("By what the model believed")
    st.caption(
        f"Pooled over the selected families; labels from {literal(source)}. Each class compares A's and B's "
        "transcripts that the labeller put in it (95% Wilson intervals, B − A with a 95% Newcombe interval, Holm "
        "across the three classes)."
    )
    st.table(awareness.compare_table(split))
    for cls, (n_a, n_b) in split.apart.items():
        st.caption(
            f"{awareness.NAMES[cls]}: {n_a:,} graded transcript(s) on A and {n_b:,} on B, shown apart "
            "and counted in no class."
        )
    believed = st.selectbox(
        "Read the transcripts of a class", awareness.CLASSES, format_func=awareness.NAMES.get, key="compare_believed"
    )
    aware_a, aware_b = st.columns(2)
    for column, name, side in ((aware_a, "A", a), (aware_b, "B", b)):
        column.button(
            md(f"{name}: {awareness.NAMES[believed]} transcripts"),
            icon=":material/forum:",
            key=f"compare_believed_{name}",
            on_click=open_transcripts,
            args=(
                cmp_export.transcript_params(
                    side,
                    options,
                    None,
                    view.to_query_params(),
                    **{awareness.BELIEVED_KEY: believed, awareness.BELIEVED_SOURCE_KEY: source},
                ),
            ),
        )


def families() -> None:
    """The per-family table, its drill-down, export and share link, each side's rates and B − A."""
    side_a, side_b, _ = cmp_text.side_names(a, b)
    st.caption(md(f"A = {side_a}; B = {side_b}"))
    event = st.dataframe(
        cmp_text.grid(result),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="compare_table",
        column_config={
            "family": st.column_config.TextColumn(pinned=True),
            "B − A": st.column_config.TextColumn(help="B − A in percentage points, with its 95% Newcombe interval"),
        },
    )
    st.caption(
        "Rows sorted by the size of the change; ▲ marks a regression (B significantly worse), ▼ a significant drop, "
        f"? an inconclusive change. {SIGNIFICANCE_RULE} The pooled row is one test, not Holm-adjusted. "
        + result.paired_note
    )
    ungraded = result.pooled.ungraded_a + result.pooled.ungraded_b
    if ungraded:
        st.caption(f"{ungraded:,} ungraded sample(s) (grader error or no verdict) are left out of the rates.")

    rows = [*result.rows, result.pooled]
    picked = event.selection.rows[0] if event.selection.rows else 0
    chosen = rows[picked]
    family = None if chosen.pooled else chosen.family
    filters = view.to_query_params()
    st.caption(md(cmp_text.details(result)[picked]))
    st.markdown(f"Transcripts behind **{md(chosen.label)}** (select a row to change):")
    links_box = st.container(horizontal=True)  # whole labels, wrapping when they do not fit side by side
    links_box.button(
        md(f"A: {a.describe()}"),
        icon=":material/forum:",
        on_click=open_transcripts,
        args=(cmp_export.transcript_params(a, options, family, filters),),
    )
    links_box.button(
        md(f"B: {b.describe()}"),
        icon=":material/forum:",
        on_click=open_transcripts,
        args=(cmp_export.transcript_params(b, options, family, filters),),
    )

    export, share = st.columns(2)
    export.download_button(
        "Download the table as CSV",
        data=lambda: stamped(cmp_export.to_csv(result, filters, health.manifest.title or health.root.name), "csv"),
        file_name="evalboard-comparison.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    with share:
        folded(
            ":material/link: Share this comparison",
            "share_comparison",
            lambda: st.code(share_url("compare", view, **cmp_export.url_params(a, b)), language=None, wrap_lines=True),
        )

    name_a, name_b, _ = cmp_text.side_names(a, b)
    rates_col, diff_col = st.columns(2)
    rates_col.plotly_chart(
        charts.side_by_side_rates(cmp_frames.rates_frame(result), {"A": name_a, "B": name_b}),
        key="compare_rates",
        width="stretch",
    )
    diff_col.plotly_chart(
        charts.difference_forest(cmp_frames.diffs_frame(result)), key="compare_diffs", width="stretch"
    )
    rates_col.caption("Bars: each side's rate with its 95% Wilson interval.")
    diff_col.caption(
        "Points: B − A with its 95% Newcombe interval; red = higher, green = lower, amber = inconclusive; the diamond "
        "pools every family."
    )


def training() -> None:
    """The gap B − A at each checkpoint: does a gain survive RL?"""
    gap_trend = trends.compare_trend(cells, a, b)
    st.markdown(md(trends.compare_trend_sentence(gap_trend)))
    st.download_button(
        "Download B − A's trend and held-out gap as CSV",
        data=lambda: trends.compare_csv(
            a, b, gap_trend, held_out, view.to_query_params(), health.manifest.title or health.root.name
        ),
        file_name="evalboard-comparison-trend.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    series_a, series_b = cmp_text.series_names(a, b)
    colors = {series_a: charts.SIDE_COLORS["A"], series_b: charts.SIDE_COLORS["B"]}
    st.plotly_chart(
        charts.rate_lines(cmp_frames.training_series(cells, a, b), colors), key="compare_training", width="stretch"
    )
    st.plotly_chart(charts.gap_lines(gaps), key="compare_gap", width="stretch")
    st.caption("The gap B − A at each checkpoint with its 95% Newcombe band; filled = significant after Holm, dotted = "
               "inconclusive.")  # fmt: skip


def stacking() -> None:
    """A combination against its parts alone and baseline."""
    stacks, note = cmp_stacking.stacks(cells, result, options)
    if not stacks:
        st.info(md(note), icon=":material/layers:")
    for stack in stacks:
        st.markdown(md(f"{stack.combination}: the combination, its parts alone and baseline. {note}"))
        iv_colors = charts.colors_for(options.interventions)
        st.plotly_chart(
            charts.rate_bars(stack.rates, iv_colors), key=f"compare_stack_{stack.combination}", width="stretch"
        )
        st.markdown("\n".join(f"- {md(line)}" for line in stack.notes))


for tab, build in zip(sections(cmp.SECTION_KEY), (families, training, stacking), strict=True):
    if tab.open:
        with tab:
            build()
