"""Transcripts: the samples behind any number on the Overview, and the words the model wrote.

URL: the sidebar filters, plus `step` (one checkpoint), `verdict`, `q` (search), `sort`, `list_page`,
`sample` (the open transcript) and `right` (a second transcript read side by side), `variable` + `value` (a Drivers
cell).

The script reads top to bottom like the screen: the cell and its counts, the list's controls, then the open
transcript(s) above the list, or the list. The list and the viewer are drawn by `ui/transcript_list.py` and
`ui/transcript_view.py`.
"""

import streamlit as st

from evalboard.core.fmt import literal, sentence
from evalboard.core.stats import format_rate
from evalboard.core.view import SOURCE_KEY, ignored
from evalboard.screens import agreement as ag
from evalboard.screens import awareness, metrics
from evalboard.screens import transcripts as samples
from evalboard.screens.transcripts import page_key
from evalboard.ui import transcript_list
from evalboard.ui.session import current_view, end_page, ensure_entrypoint, get_store, rerun_keeping_warnings, warn
from evalboard.ui.transcript_view import open_sample, render_sample

ensure_entrypoint()
store = get_store()
view = current_view()

# -- the cell, its counts and the list's controls ---------------------------------------------------
st.title("Transcripts")
step = transcript_list.url_value("step")
for key in ("verdict", "sort"):  # only to warn: the bound widgets below drop a value they do not offer
    transcript_list.url_value(key)
raw_page = st.query_params.get("list_page")
url_page, page_warning = page_key("list_page", raw_page)  # shown below, once the number of pages is known
sources_all = metrics.filter_options(store)[SOURCE_KEY]
by, by_verdict, by_warning = samples.second_source(
    st.query_params.get("by"), st.query_params.get("by_verdict"), sources_all
)
if by_warning:
    warn(by_warning)
cell = [f"{k}: {', '.join(v)}" for k, v in view.to_query_params().items()] + ([f"step: {step}"] if step else [])
names = [v for values in view.to_query_params().values() for v in values]
st.caption("Cell: " + (sentence("; ".join(cell), names) if cell else "all samples") + " — change it in the sidebar.")
if step is not None:
    st.button("Clear the checkpoint step", on_click=lambda: st.query_params.pop("step", None))
if by is not None:
    st.info(
        f"Listing only transcripts that {literal(by)} judged **{by_verdict}** (and the verdict filter "
        f"below under {literal(view.source)}): one cell of the Agreement page's table.",
        icon=":material/rule:",
    )
    st.button("Clear the second source", on_click=lambda: [st.query_params.pop(k, None) for k in ("by", "by_verdict")])

variable, level = (st.query_params.get(k) for k in samples.VARIABLE_KEYS)  # one Drivers cell: a variable's value
if variable and level is not None:
    st.info(
        f"Listing only transcripts whose {literal(variable)} is {literal(level)}: one cell of the Drivers page.",
        icon=":material/tune:",
    )
    st.button("Show every value", on_click=lambda: [st.query_params.pop(k, None) for k in samples.VARIABLE_KEYS])
elif variable or level is not None:
    warn(
        ignored(
            "variable" if variable else "value", variable or level or "", "a Drivers cell needs both variable and value"
        )
    )
    variable = level = None

believed, bad_believed = awareness.believed_choice(st.query_params.get(awareness.BELIEVED_KEY))
if bad_believed:
    st.warning(bad_believed, icon=":material/warning:")
aware_source = None
if believed:
    sources = awareness.sources(store)
    aware_source, bad_source = awareness.choose_source(
        sources, st.query_params.get(awareness.BELIEVED_SOURCE_KEY), awareness.BELIEVED_SOURCE_KEY
    )
    if bad_source:
        st.warning(bad_source, icon=":material/warning:")
    if aware_source is None:
        st.info("This dataset has no eval-awareness labels; showing every transcript.", icon=":material/info:")
        believed = None
    else:
        st.caption(awareness.believed_caption(believed, literal(aware_source)))
        st.button("Show every transcript of the cell", on_click=transcript_list.clear_believed)

counts = samples.cell_counts(
    store,
    samples.ListRequest(
        view, step=step, believed=believed, awareness_source=aware_source, variable=variable, value=level
    ),
)
st.subheader(
    f"{counts['k']:,} harmful of {counts['n']:,}, {format_rate(counts['k'], counts['n'], with_counts=False)}"
    if counts["n"]
    else "No graded samples in this cell"
)
if counts["ungraded"]:
    st.caption(f"{counts['ungraded']:,} ungraded sample(s) are listed under 'ungraded' and not counted.")

controls = st.columns([3, 3, 2])
verdict = controls[0].segmented_control("Verdict", samples.VERDICTS, key="verdict", bind="query-params", default="all")
query = controls[1].text_input(
    "Search transcripts and grader explanations",
    key="q",
    bind="query-params",
    placeholder="e.g. affair, override code, QuantumShield",
    help="Case-insensitive substring search over transcripts, reasoning, grader explanations and review notes. "
    "Lists the matches, 50 per page, with the passage around the first one.",
)
sort = controls[2].selectbox(
    "Sort by", list(samples.SORTS), format_func=samples.SORTS.get, key="sort", bind="query-params"
)
request = samples.ListRequest(
    view,
    step=step,
    verdict=verdict or "all",
    query=(query or "").strip(),
    sort=sort or "conditions",
    by=by,
    by_verdict=by_verdict,
    # The page number widget is drawn below the list, so on a first visit its value is still only in the URL.
    page=st.session_state.get("list_page") or url_page or 1,
    believed=believed,
    awareness_source=aware_source,
    variable=variable,
    value=level,
)

# -- the open transcript(s) above the list ---------------------------------------------------------
rows, total = samples.sample_page(store, request)
bound = samples.search_bound(store, request)  # the search stopped collecting: the list is not every match
if raw_page and "list_page" not in st.session_state:  # a page number from the URL, before its widget exists
    last = samples.last_page(total)
    if url_page is not None and url_page > last:
        page_warning = ignored("list_page", raw_page, f"this list has {last:,} page(s); showing the last")
        url_page = last
    if page_warning:
        # The bound page widget seeds itself from the URL as the page loaded (and fails on `inf`): correct the
        # URL and rerun, carrying the warning over.
        st.query_params["list_page"] = str(url_page or 1)
        rerun_keeping_warnings(page_warning)
st.session_state["_listed_ids"] = rows.get_column("sample_id").to_list()
sample_id = st.query_params.get("sample")
if not sample_id:
    transcript_list.render_list(store, rows, total, request, bound)
    end_page()

ids = st.session_state["_listed_ids"]
queue_x, queue_y = (st.query_params.get(key) for key in samples.QUEUE_KEYS)
for key, value in zip(samples.QUEUE_KEYS, (queue_x, queue_y), strict=True):
    if value is not None and value not in sources_all:
        warn(ignored(key, value, "no such verdict source, so no review queue"))
if queue_x in sources_all and queue_y in sources_all and queue_x != queue_y:  # opened from Agreement's review queue
    queued = ag.review_queue(store, view, queue_x, queue_y)[0].get_column("sample_id").to_list()
    following = ag.next_in_queue(queued, sample_id)
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(f"Review queue: {literal(queue_x)} vs {literal(queue_y)}")
        st.page_link(
            "pages/agreement.py",
            label="Back to the queue",
            icon=":material/arrow_back:",
            query_params={ag.X_KEY: queue_x, ag.Y_KEY: queue_y},
        )
        st.button(
            "Next in queue" if following else "End of the queue",
            icon=":material/skip_next:",
            on_click=open_sample,
            args=(following,),
            disabled=following is None,
            type="primary",
        )
nav = st.columns([1, 1, 2, 4])
if sample_id in ids:
    at = ids.index(sample_id)
    nav[0].button("← Previous", on_click=open_sample, args=(ids[at - 1] if at else None,), disabled=at == 0)
    nav[1].button(
        "Next →", on_click=open_sample, args=(ids[at + 1] if at + 1 < len(ids) else None,), disabled=at + 1 >= len(ids)
    )
nav[2].button("Back to the list", on_click=open_sample, args=(None,))
nav[3].toggle(
    "Raw text",
    key="raw_text",
    help="Show the model's messages exactly as written: no Markdown formatting, tool calls written as text left as "
    "text. Formatted text never shows links, images or HTML either way.",
)

others = samples.counterparts(store, sample_id)
right = st.query_params.get("right")
labels = {r["sample_id"]: f"{r['snapshot']} · {r['intervention']}" for r in others.to_dicts()}
if right and right not in labels:
    warn(ignored("right", right, "no sample of the same scenario, epoch and checkpoint has this id"))
    st.query_params.pop("right", None)
    right = None
if others.height:
    choice = st.selectbox(
        "Read side by side with the same scenario, epoch and checkpoint from",
        [None, *labels],
        index=([None, *labels].index(right) if right in labels else 0),
        format_func=lambda s: "—" if s is None else labels[s],
    )
    if choice != right:
        if choice:
            st.query_params["right"] = choice
        else:
            st.query_params.pop("right", None)
        right = choice
if right:
    left_col, right_col = st.columns(2)
    with left_col:
        render_sample(store, sample_id, narrow=True)
    with right_col:
        render_sample(store, right, "right", reviewable=False, narrow=True)
else:
    render_sample(store, sample_id)

st.divider()
# Built only while open (a collapsed data grid still costs the browser; bench/README.md, "Page speed, round 2").
with st.expander(f"The list ({total:,} samples)", key="viewer_list", on_change="rerun") as listed:
    if listed.open:
        transcript_list.render_list(store, rows, total, request, bound)
