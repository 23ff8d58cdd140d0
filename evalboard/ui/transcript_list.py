"""The Transcripts page's list: one page of the samples of a cell (or of a search), a row opening its transcript;
the URL values the page reads, checked, and the callbacks of its filters. Streamlit widgets, so it lives in ui/
(docs/ARCHITECTURE.md, "Rooms")."""

import polars as pl
import streamlit as st

from evalboard.core import checkpoints
from evalboard.core.fmt import literal
from evalboard.data.store import Store
from evalboard.screens import awareness
from evalboard.screens import transcripts as samples
from evalboard.screens.transcripts import page_key
from evalboard.ui.session import warn
from evalboard.ui.transcript_view import open_sample


def render_list(store: Store, rows: pl.DataFrame, total: int, request: samples.ListRequest, bound: int | None) -> None:
    """One page of the list (`request`'s page of `total` samples); selecting a row opens its transcript. `bound`: the
    number of texts the search stopped at (`samples.search_bound`), when it stopped."""
    pages = samples.last_page(total)
    skipped = samples.unsearched(store) if request.query else []
    if skipped:
        rows_known = sum(n for *_, n in skipped)
        st.warning(
            f"{len(skipped)} file(s) could not be read and were not searched"
            + (f" ({rows_known:,} rows)" if rows_known else "")
            + ": "
            + ", ".join(f"{literal(name)} ({table})" for name, table, _ in skipped)
            + ". Matches in them are missing from this list; Data health says why.",
            icon=":material/search_off:",
        )
    if bound:
        st.warning(
            f"More than {bound:,} texts match — the list shows the matches among the first {bound:,} only. "
            f"Narrow the filters to at most {samples.SCAN_CELL_LIMIT:,} samples to list every match, or narrow the "
            "search.",
            icon=":material/filter_alt:",
        )
    if total:
        listed = rows.with_columns(
            checkpoint=checkpoints.names(rows, samples.stages_with_steps(store)),
            verdict=pl.when(pl.col("harmful")).then(pl.lit("harmful"))
            .when(pl.col("harmful").not_()).then(pl.lit("safe"))
            .otherwise(pl.lit("ungraded")),
        )  # fmt: skip
        # What fits the page: the grader's explanation, the grader and the id are read in the viewer.
        columns = ["snapshot", "intervention", "checkpoint", "scenario_family", "scenario", "epoch", "verdict"]
        config, row_height = {}, None
        if "passage" in listed.columns:  # a search: its hit first, where the eye lands; the sample in one column
            listed = listed.with_columns(samples.sample_lines(listed))
            columns = ["passage", "sample", "verdict"]
            config = {
                "passage": st.column_config.TextColumn(width=300, help="The first hit and the text around it; … "
                                                       "marks a cut. Select the row to read the whole transcript."),
                "sample": st.column_config.TextColumn(width=samples.SAMPLE_WIDTH, help=samples.SAMPLE_FIELDS),
            }  # fmt: skip
            row_height = samples.THREE_LINES

        def _select_row() -> None:
            chosen = st.session_state["sample_table"].selection.rows
            if chosen:
                open_sample(st.session_state["_listed_ids"][chosen[0]])

        matching = " matching the search" if request.query else ""
        if bound:
            matching = f" among the first {bound:,} matching texts"
        st.caption(
            f"{total:,} sample(s){matching}; page {min(request.page, pages)} of {pages:,}. "
            "Select a row to read its transcript."
        )
        st.dataframe(
            listed.select(*columns, "sample_id"),
            hide_index=True,
            width="stretch",
            row_height=row_height,
            column_config={"sample_id": None} | config,  # the row's id, not shown: the viewer shows it
            on_select=_select_row,
            selection_mode="single-row",
            key="sample_table",
        )
    else:
        st.info("No samples match." if request.query or request.verdict != "all" else "No samples in this cell.")
    if pages > 1:
        st.number_input("Page", min_value=1, max_value=pages, key="list_page", bind="query-params", width=160)


def url_value(key: str):
    """A page key's URL value checked by its spec (evalboard/core/view.py), or None; a warning when it is not used."""
    value, warning = page_key(key, st.query_params.get(key))
    if warning:
        warn(warning)
    return value


def clear_believed() -> None:
    for key in (awareness.BELIEVED_KEY, awareness.BELIEVED_SOURCE_KEY):
        st.query_params.pop(key, None)
