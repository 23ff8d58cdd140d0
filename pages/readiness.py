"""Readiness: can this snapshot ship? The overall verdict, one verdict per scenario family under the gates file,
the drill-down to harmful transcripts, exports for a release note, and the verdict history across snapshots."""

import streamlit as st

from evalboard.core import links
from evalboard.core.fmt import literal, quoted_columns, sentence
from evalboard.core.urls import AS_OF_KEY
from evalboard.core.view import ignored
from evalboard.data.delta import as_of_text
from evalboard.data.store import QueryError
from evalboard.present import charts, drilldown
from evalboard.screens import calibration
from evalboard.screens.calibration import CORRECTED_KEY
from evalboard.screens.readiness import catalog as rd_catalog
from evalboard.screens.readiness import export as rd_export
from evalboard.screens.readiness import judge as rd_judge
from evalboard.screens.readiness import text as rd_text
from evalboard.screens.readiness.gates import GatesError, load_gates
from evalboard.ui.session import (
    LOG,
    current_view,
    end_page,
    ensure_entrypoint,
    folded,
    open_transcripts,
    pinned_store,
    redact,
)
from evalboard.ui.signin import stamped

BADGES = {"READY": "green", "NOT READY": "red", "INSUFFICIENT DATA": "orange"}
OVERRIDE_LABELS = {"max_rate": "Max rate (0–1)", "min_samples": "Min samples", "confidence": "Confidence (0–1)"}


def _selected(key: str) -> list[str]:
    """The sidebar's selection for a URL key; straight from the URL when the page runs without the sidebar."""
    if key in st.session_state:
        return list(st.session_state[key] or [])
    return st.query_params.get_all(key)


def _judge_snapshot(value_key: str) -> None:
    """Selectbox callback: judge another snapshot by setting the sidebar's (URL-bound) snapshot filter."""
    st.session_state["snapshot"] = [st.session_state[value_key]]


def _judge_intervention(snapshot: str) -> None:
    st.session_state["snapshot"] = [snapshot]
    st.session_state["intervention"] = [st.session_state["readiness_intervention"]]


def _open_history() -> None:
    """History cell callback: judge the clicked snapshot (the sidebar's URL-bound snapshot filter)."""
    snapshot = drilldown.judged_snapshot(st.session_state["readiness_history"].selection)
    if snapshot is not None:
        st.session_state["snapshot"] = [snapshot]


def _cell(column: str, value: object) -> str:
    """One cell of the markdown verdict table: the verdict as a coloured badge, the family quoted, our own
    text escaped (every punctuation character, pipes included)."""
    if column == "verdict":
        return f":{BADGES[str(value)]}-badge[{value}]"
    if column == "family":
        return literal(value, table_cell=True)
    return sentence(value, NAMES, table_cell=True)


ensure_entrypoint()
store, as_of_warning = pinned_store()
st.title("Release readiness")
banner = st.container()
if as_of_warning:
    st.warning(as_of_warning, icon=":material/warning:")
data_version = as_of_text(store.health.delta) if store.health.delta else ""  # "as of version 41, …; 3 imports since"
if data_version:
    st.caption(f"Judged on the data {data_version}.")

try:
    catalog = rd_catalog.load_catalog(store, current_view().source)
except (rd_catalog.ReleaseError, QueryError) as exc:
    LOG.error("no readiness verdict", exc_info=exc)
    st.error(f"No readiness verdict: {literal(redact(exc))}", icon=":material/error:")
    end_page()

# --- what is judged: the sidebar's snapshot and intervention, changeable here --------------------------------------
NAMES = {*catalog.snapshots, *catalog.families, *(iv for s in catalog.snapshots for iv in catalog.interventions(s))}
NAMES |= {c.training_stage for runs in catalog.candidates.values() for c in runs}  # in "RL step 1,000" when unknown


def md(text: object) -> str:
    """One of our sentences as Markdown, the dataset's names in it quoted."""
    return sentence(text, NAMES)


snapshot, snapshot_note = rd_catalog.pick_snapshot(catalog, _selected("snapshot"))
interventions = catalog.interventions(snapshot)
picked = _selected("intervention")
intervention_note = None
intervention = picked[0] if len(picked) == 1 else None
if intervention is not None and intervention not in interventions:
    intervention_note = (
        f"{literal(snapshot)} has no {literal(intervention)} run (the sidebar's Intervention filter), "
        "so its newest run is judged."
    )
    intervention = None
current = rd_catalog.candidate(catalog, snapshot, intervention)

st.session_state["readiness_snapshot"] = snapshot
st.session_state["readiness_intervention"] = current.intervention
gate_files = rd_judge.gate_choices()
gate_names = [p.name for p in gate_files]
pick_snapshot, pick_intervention, pick_gates = st.columns([2, 3, 2])
pick_snapshot.selectbox(
    "Snapshot (newest first)",
    catalog.snapshots,
    key="readiness_snapshot",
    on_change=_judge_snapshot,
    args=("readiness_snapshot",),
)
pick_intervention.selectbox(
    "Intervention",
    interventions,
    key="readiness_intervention",
    format_func=lambda iv: f"{iv} (newest run)" if iv == interventions[0] else iv,
    on_change=_judge_intervention,
    args=(snapshot,),
)
asked_gates = st.query_params.get(rd_judge.GATES_KEY)
if asked_gates and asked_gates not in gate_names:
    available = ", ".join(literal(name) for name in gate_names)
    st.warning(
        ignored(rd_judge.GATES_KEY, asked_gates, f"no such gates file; available: {available}"),
        icon=":material/warning:",
    )
if len(gate_files) > 1:
    pick_gates.selectbox("Gates file", gate_names, key=rd_judge.GATES_KEY, bind="query-params")
gates_file = gate_files[gate_names.index(st.session_state.get(rd_judge.GATES_KEY) or gate_names[0])]

overrides_set = any(st.query_params.get(key) for key in rd_judge.OVERRIDE_KEYS)
with st.expander(":material/tune: What-if: override the gate for every family", expanded=overrides_set):
    st.caption("Overrides go in the URL (e.g. `max_rate=0.1`) and are shown as such; leave empty to use the file.")
    for column, key in zip(st.columns(3), rd_judge.OVERRIDE_KEYS, strict=True):
        column.text_input(OVERRIDE_LABELS[key], key=key, bind="query-params", placeholder="from the gates file")
overrides = {key: st.session_state[key].strip() for key in rd_judge.OVERRIDE_KEYS if st.session_state.get(key)}

# --- the gates: a bad file or override stops here with a message, the rest of the app keeps working -------------
try:
    file_gates = load_gates(gates_file).shown_as(gates_file.name)  # the file's name, never the server's path
    rd_judge.check_families(file_gates, catalog)
except GatesError as exc:
    LOG.error("gates file %s cannot be used: %s", gates_file, exc)  # the server's path in the log only
    banner.error(
        "**No verdict: the gates file cannot be used.** Fix it and reload.\n\n"
        + "\n".join(
            f"- {literal(redact(problem.replace(str(gates_file), gates_file.name)))}" for problem in exc.problems
        ),
        icon=":material/error:",
    )
    end_page()
try:
    gates = rd_judge.apply_overrides(file_gates, overrides, source="URL override")
except GatesError as exc:
    banner.error(
        "**No verdict: the gate override is not valid.** Correct or clear it above.\n\n"
        + "\n".join(f"- {literal(redact(problem))}" for problem in exc.problems),
        icon=":material/error:",
    )
    end_page()

# --- no verdict on partial data, unless the reader accepts it here (the CLI's --allow-partial) ------------------
if catalog.left_out:
    n = len(catalog.left_out)
    banner.error(
        f"**No verdict: the data is incomplete.** {n} file(s) of the dataset could not be read and are left out, "
        "so a verdict on the rest could be wrong (`evalboard readiness` exits 5, data incomplete). Restore or "
        "remove them; re-importing their source brings back what they held.\n\n"
        + "\n".join(
            f"- {literal(f.file)} ({f.table}): {literal(redact(f.problem), limit=400)}"
            + (f"; it held {literal(f.held, limit=400)}" if f.held else "")
            for f in catalog.left_out
        ),
        icon=":material/block:",
    )
    banner.page_link("pages/data_health.py", label="Data health: every file and why it is left out")
    if not banner.toggle("Judge the files that could be read anyway (partial data)", key="readiness_partial"):
        end_page()

report = rd_judge.judge(catalog, snapshot, gates, current.intervention, overrides)

# --- the verdict, readable in five seconds ------------------------------------------------------------------------
label = report.status.label
verdict_box = banner.container(border=True, key="readiness-verdict")
verdict_box.markdown(f"## :{BADGES[label]}[{label}]" + (" :orange-badge[ON PARTIAL DATA]" if report.partial else ""))
if report.partial:
    verdict_box.markdown(f"**:material/warning: {md(rd_text.partial_note(report))}**")
verdict_box.markdown(f"##### {md(rd_text.headline(report.overall))}")
if overrides:
    was = ", ".join(f"{k} = {getattr(file_gates.default, k)}" for k in overrides)
    now = ", ".join(f"{k} = {v}" for k, v in report.overrides.items())
    verdict_box.markdown(f"**:material/warning: Gate overridden in the URL: {md(now)}** (the file says {md(was)})")
banner.markdown(f"**Why:** {md(rd_text.explanation(report))}")
banner.markdown(
    f"Judging {literal(report.candidate.label)} — {rd_text.candidate_note(report)}. "
    f"Gates: {literal(gates_file.name)} ({md(rd_text.gates_terms(report))})."
)
if snapshot_note:
    banner.info(md(snapshot_note), icon=":material/info:")
if intervention_note:
    banner.info(intervention_note, icon=":material/info:")
for note in rd_text.coverage_sentences(report):
    banner.info(md(note), icon=":material/rule:")

# --- per family ----------------------------------------------------------------------------------------------
st.subheader("Per scenario family")
table = rd_export.verdict_display(report)
cells = [[_cell(column, value) for column, value in row.items()] for row in table.iter_rows(named=True)]
st.markdown(
    "\n".join(
        ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
        + ["| " + " | ".join(row) + " |" for row in cells]
    )
)
st.caption(
    f"{md(report.previous_note)} n counts graded samples only; the verdict ignores the sidebar's stage, "
    "family and grader filters, because a release is judged on every family at the candidate's final checkpoint."
)

if st.toggle("Show rates corrected for grader error", key=CORRECTED_KEY, bind="query-params"):
    measured = catalog.calibration or calibration.load(store)
    st.markdown("**Corrected for the grader's measured error** (Rogan–Gladen; 95% parametric-bootstrap interval)")
    st.caption(sentence(calibration.correction_basis(measured, catalog.source), [catalog.source]))
    counted = [(family, c.k, c.n) for family, c in report.counts.items()]
    st.table(quoted_columns(calibration.corrected_rows(measured, catalog.source, counted).rename({"": "family"}),
                            ("family",)))  # fmt: skip

harmful = [(family, v) for family, v in report.verdicts.items() if v.k]
if harmful:
    st.markdown(f"**Read the harmful transcripts** at {literal(report.candidate.label)}:")
    for column, (family, v) in zip(st.columns(len(harmful)), harmful, strict=True):
        column.button(
            f"{literal(family)} · {v.k} harmful",
            icon=":material/forum:",
            on_click=open_transcripts,
            args=(report.candidate.transcripts_link(family),),
            key=f"harmful-{family}",
        )

# --- exports and the link -------------------------------------------------------------------------------------
stem = f"readiness-{report.candidate.snapshot}-{report.candidate.intervention}".replace("+", "_")
csv_col = md_col = st.container(horizontal=True)
csv_col.download_button(
    "Download CSV",
    stamped(rd_export.to_csv(report), "csv"),
    f"{stem}.csv",
    "text/csv",
    icon=":material/download:",
    on_click="ignore",
)
markdown = rd_export.to_markdown(report, data_version)
md_col.download_button(
    "Download Markdown",
    stamped(markdown, "markdown"),
    f"{stem}.md",
    "text/markdown",
    icon=":material/description:",
    on_click="ignore",
)


def summary() -> None:
    link = {"snapshot": report.candidate.snapshot, "intervention": report.candidate.intervention, **overrides}
    if gates_file != gate_files[0]:
        link[rd_judge.GATES_KEY] = gates_file.name
    samples = next((v for v in store.health.delta if v.table == "samples"), None)
    if samples is not None:  # the evidence it was judged on, whatever lands later
        link[AS_OF_KEY] = str(samples.version)
    pinned = ", any override and the data's version" if samples is not None else " and any override"
    st.caption(f"This link pins the snapshot, the intervention{pinned}:")
    st.code(links.link(st.context.url or "", "readiness", link), language=None, wrap_lines=True)
    st.code(markdown, language="markdown", wrap_lines=True)


folded("Release-note summary (Markdown) and a link to this verdict", "readiness_summary", summary)

# --- history -------------------------------------------------------------------------------------------------
st.subheader("History")
past = rd_export.history_frame(rd_judge.history(catalog, gates, report.candidate.intervention))
st.plotly_chart(
    charts.verdict_matrix(past, highlight=report.candidate.snapshot),
    key="readiness_history",
    width="content",  # square cells sized to the data
    on_select=_open_history,
    selection_mode="points",
)
st.caption(
    f"Each snapshot is judged at {literal(report.candidate.intervention)} where it ran it, else at its newest run, "
    "at its final checkpoint, under the same gates. Click a cell (or pick a snapshot above) to judge that snapshot."
)

with st.expander("How the verdict is decided"):
    st.markdown(
        f"""
- **READY**: the upper bound of the exact (Clopper–Pearson) interval is at or below the family's `max_rate`
  and there are at least `min_samples` graded samples.
- **NOT READY**: the lower bound is above `max_rate`, or (with `must_not_regress`) the rate rose significantly
  since the previous snapshot: Fisher's exact p below 1 − confidence and the Newcombe interval of the difference
  above 0, both (one test per family, the same rule as Compare's; when only one holds the rise is inconclusive).
- **INSUFFICIENT DATA**: neither is shown yet; the reason says how many more samples would settle it.
- The snapshot is READY only when every family is; NOT READY when any family is.
- Every family the data holds is judged. A family the gates file names but the data lacks is listed above the
  table; it blocks (INSUFFICIENT DATA) only when its table says `required = true`.

With few samples nothing can be READY: at 0 harmful of 60 the 95% upper bound is still 6.0%, above a 5% gate;
that is why teams run a release evaluation of a few hundred samples per family at the candidate before shipping.
Gates come from {literal(gates_file.name)} (set `EVALBOARD_GATES` to use another file). The same verdict is
available to a pipeline:
{literal(f"evalboard readiness {report.candidate.snapshot} --intervention {report.candidate.intervention}")}.
"""
    )
