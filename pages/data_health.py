"""Data health: which files the dataset holds, how many rows each, and which were rejected and why."""

import polars as pl
import streamlit as st

from evalboard.core.fmt import literal
from evalboard.screens import access, data_health
from evalboard.ui.session import end_page, ensure_entrypoint, get_store, table
from evalboard.ui.signin import visitor

ensure_entrypoint()
store = get_store()
health = store.health

st.title("Data health")
# Paths are shown relative to the dataset folder: visitors need not learn the server's layout.
st.markdown(f"Dataset: {literal(health.manifest.title or health.root.name)}")
if health.manifest.description:
    st.caption(literal(health.manifest.description, limit=1000))
if health.manifest_problem:
    st.warning(f"`dataset.toml`: {literal(health.manifest_problem)}", icon=":material/warning:")

st.subheader("Who may see and review")
who = visitor()
st.write(access.describe(who.access, who.auth))
for problem in who.access.problems:  # each grants nothing (docs/ARCHITECTURE.md, "Sign-in and access")
    entry = f" {literal(problem.entry)}" if problem.entry is not None else ""
    st.error(
        f"`[access]` {literal(problem.where)}{entry} grants nothing: {literal(problem.reason)}", icon=":material/block:"
    )

if not health.exists:
    st.error(
        f"The dataset folder {literal(health.root.name)} does not exist. Set `EVALBOARD_DATA` to a dataset folder.",
        icon=":material/inbox:",
    )
    end_page()

if health.has_samples:
    totals = data_health.totals(store)
    cols = st.columns(4)
    cols[0].metric("Samples", f"{totals['samples']:,}")
    cols[1].metric("Graded", f"{totals['graded']:,}")
    cols[2].metric("Ungraded", f"{totals['ungraded']:,}", help="harmful is NULL: grader error or no verdict")
    cols[3].metric("Snapshots", totals["snapshots"])
else:
    st.info("No readable samples files yet. Add Parquet files under `samples/`.", icon=":material/inbox:")

st.subheader("Rejected files")
if health.rejected:
    for f in health.rejected:
        name = literal(f.path.relative_to(health.root))
        held = f" It held {literal(f.held)}." if f.held else ""
        st.error(f"{name} ({f.table}): {literal(f.problem)}.{held}", icon=":material/block:")
else:
    st.success("Every Parquet file in the folder is readable and fits the schema.", icon=":material/check_circle:")

if health.duplicates:
    st.subheader("Repeated sample ids")
    for d in health.duplicates:
        name = literal(d.path.relative_to(health.root))
        st.warning(
            f"{name} (samples): {d.ids:,} sample ids in this file already appear in a file before it (by path) or "
            "higher up in it. Each transcript counts once, from its first row; these rows are left out of every "
            "count. Remove the copy to silence this.",
            icon=":material/content_copy:",
        )

st.subheader("Files")
files = pl.DataFrame(
    {
        "table": [f.table for f in health.files],
        "file": [str(f.path.relative_to(health.root)) for f in health.files],
        "rows": [f.rows for f in health.files],
        "status": ["ok" if f.ok else "rejected" for f in health.files],
    },
    schema={"table": pl.String, "file": pl.String, "rows": pl.Int64, "status": pl.String},
)
table(files, ("file",))

if health.ingest_log:
    st.subheader("Imports")
    st.caption("Each `evalboard ingest` run, per source: records read, imported, rejected (see the quarantine file).")
    if health.ingest_log_problems:
        st.warning(
            f"{len(health.ingest_log_problems)} line(s) of `ingest_log.jsonl` could not be read and are left out of "
            "this table: " + "; ".join(literal(problem) for problem in health.ingest_log_problems),
            icon=":material/warning:",
        )
    table(data_health.imports(store), ("source", "format", "problem", "quarantine"))

if health.has_samples:
    st.subheader("Samples by source")
    table(data_health.samples_by_source(store), ("source",))
