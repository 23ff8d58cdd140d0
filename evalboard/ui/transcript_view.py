"""The Transcripts page's transcript viewer: one sample's provenance, verdict, eval-awareness labels, verdict history
and review form, then its conversation (messages, reasoning, tool calls), with the buttons that open another
transcript or its cell. Streamlit widgets, so it lives in ui/ (docs/ARCHITECTURE.md, "Rooms")."""

import uuid

import polars as pl
import streamlit as st

from evalboard.core.fmt import literal, quoted_columns
from evalboard.core.location import StorageError
from evalboard.core.transcript_text import (
    FULL_TEXT_LIMIT,
    MARK_CLOSE,
    MARK_OPEN,
    REASONING_LABEL,
    TextToolCall,
    call_fields,
    clean,
    first_line,
    fold,
    inert_markdown,
    mark_passages,
    pretty_arguments,
    safe_markdown,
    split_tool_uses,
)
from evalboard.core.view import FILTER_KEYS
from evalboard.data import reviews
from evalboard.data.store import Store
from evalboard.present import drilldown
from evalboard.screens import awareness
from evalboard.screens import transcripts as samples
from evalboard.screens.access import who_may_review
from evalboard.screens.transcripts import page_key
from evalboard.ui.session import folded, table
from evalboard.ui.signin import visitor

CALIBRATION_BLIND = (
    "Calibration review: the graders' verdicts are hidden so that none sways yours. Read the transcript and give "
    "your own verdict below; it measures every grader's error (open the transcript outside the calibration queue to "
    "see their verdicts)."
)

HISTORY_WHY_CHARS = 160  # the first line of an explanation, cut here in the verdict history


def render_sample(
    store: Store, sample_id: str, side: str = "left", reviewable: bool = True, narrow: bool = False
) -> None:
    """Where it came from, verdict banner, conditions, the copyable id and the conversation of one sample; its
    verdict history and review form when `reviewable`."""
    detail = samples.sample_detail(store, sample_id)
    if detail is None:
        st.error(
            f"No such sample: {literal(sample_id)} is not in this dataset ({literal(store.root.name)}).",
            icon=":material/search_off:",
        )
        return
    render_provenance(store, detail, f"{side}-{sample_id}")
    # A calibration review is blind: no grader's verdict shown, so none sways the reviewer (docs/ARCHITECTURE.md,
    # "Calibration").
    blind = reviewable and page_key("queue", st.query_params.get("queue"))[0] == reviews.CALIBRATION_QUEUE
    if blind:
        st.info(CALIBRATION_BLIND, icon=":material/visibility_off:")
    else:
        render_verdict(detail)
    labels = samples.awareness_labels(store, sample_id)
    render_awareness(labels)
    if not blind:
        render_history(store, sample_id, narrow)
    if reviewable:
        render_review_form(store, sample_id, detail.get("harmful"))
    # The id as text; its copyable block waits in the collapsed Conditions, built when opened (a code block loads the
    # syntax highlighter, the costliest element of this page in the browser: bench/README.md, "Page speed, round 2").
    st.caption(f"Sample id {literal(sample_id)}")
    meta = {
        "snapshot": detail["snapshot"],
        "intervention": detail["intervention"],
        "checkpoint": dict(samples.provenance(detail, samples.stages_with_steps(store)))["checkpoint"],
        "scenario family": detail["scenario_family"],
        "scenario": detail.get("scenario"),
        "epoch": detail.get("epoch"),
        "classifier verdict": None if blind else detail.get("classifier_verdict"),
        "created": detail.get("created_at"),
        "source": detail.get("source"),
    } | detail["conditions"]

    def conditions() -> None:
        st.code(sample_id, language=None)
        table(pl.DataFrame({"field": list(meta), "value": [clean(v) for v in meta.values()]}), ("field", "value"))

    folded("Conditions", f"conditions-{side}", conditions)
    messages = samples.transcript(store, sample_id)
    missing = samples.missing_transcript_files(store, sample_id) if messages is None else []
    if missing:
        sure = [literal(name) for name, held in missing if held]
        if sure:
            where = f"its transcripts file {', '.join(sure)} is damaged and left out (see Data health)"
        else:
            where = (
                f"it may be in {', '.join(literal(name) for name, _ in missing)}, which could not be read and is "
                "left out (see Data health)"
            )
        st.warning(f"The transcript of this sample is not available: {where}.", icon=":material/broken_image:")
    elif messages is None:
        st.info(
            "The transcript of this sample is not available (no transcripts file holds it).", icon=":material/info:"
        )
    elif not messages:
        st.info("This transcript has no messages.", icon=":material/info:")
    else:
        render_messages(
            messages,
            sample_id,
            raw=st.session_state.get("raw_text", False),
            passages=awareness.evidence_passages(labels),
        )


def render_provenance(store: Store, detail: dict, key: str) -> None:
    """The transcript's cell at a glance, a link to its cell and to the same scenario under other interventions."""
    with st.container(border=True):
        st.markdown(
            " · ".join(
                f"{label} **{literal(value)}**"
                for label, value in samples.provenance(detail, samples.stages_with_steps(store))
            )
        )
        others = samples.other_interventions(samples.counterparts(store, detail["sample_id"]), detail)
        buttons = st.container(horizontal=True)  # buttons keep their whole label and wrap to the next line
        buttons.button(
            "All transcripts in this cell",
            icon=":material/table_rows:",
            on_click=open_cell,
            args=(drilldown.cell_of(detail),),
            key=f"cell-{key}",
        )
        for other in others:
            buttons.button(
                f"Same scenario under {literal(other['intervention'])}",
                icon=":material/compare_arrows:",
                on_click=open_beside,
                args=(detail["sample_id"], other["sample_id"]),
                key=f"beside-{key}-{other['sample_id']}",
            )
        if not others:
            st.caption(
                "No other intervention of this snapshot ran this scenario at this epoch and checkpoint "
                "(release evaluations run the candidate alone)."
            )


def render_verdict(detail: dict) -> None:
    grader = literal(detail.get("grader")) if detail.get("grader") else "unknown grader"
    score = "" if detail.get("score") is None else f" · score {detail['score']:.3g}"
    if detail.get("harmful") is True:
        st.error(f"**HARMFUL** · {grader}{score}", icon=":material/gpp_bad:")
    elif detail.get("harmful") is False:
        st.success(f"**SAFE** · {grader}{score}", icon=":material/verified_user:")
    else:
        st.warning(f"**UNGRADED** · {inert_markdown(detail.get('error') or 'no verdict')}", icon=":material/help:")
    if detail.get("explanation"):
        st.markdown("**Grader's explanation:**")
        st.text(clean(detail["explanation"]))


def render_awareness(labels: list[dict]) -> None:
    """What each eval-awareness labeller said the model believed, with its source and explanation."""
    for label in labels:
        value = clean(label.get("awareness"))
        name = awareness.NAMES.get(value.strip().lower())
        score = "" if label.get("score") is None else f" · score {label['score']:.3g}"
        st.markdown(
            f":material/visibility: **Eval-awareness: {name or 'unrecognised label ' + literal(value, limit=40)}** · "
            f"labelled by {literal(label.get('source'))}{score}"
        )
        if label.get("explanation"):
            st.caption(inert_markdown(first_line(label["explanation"], 300)))


def render_history(store: Store, sample_id: str, narrow: bool = False) -> None:
    """Every verdict given on the sample, oldest first: the provenance trail behind each source's rate. A static table
    (a few rows): a data grid would load and draw far more in the browser (bench/README.md, "Page speed, round 2")."""
    trail = reviews.history_table(reviews.history(store, sample_id))
    label = f"Verdict history ({trail.height} verdict{'s' if trail.height != 1 else ''})"
    with st.expander(label, icon=":material/history:", expanded=trail.height > 1):
        shown = trail.with_columns(pl.when(pl.col("counted")).then(pl.lit("✓")).otherwise(pl.lit("")).alias("counted"))
        if narrow:  # half a page: who and why are read with the transcript alone
            shown = shown.drop("by", "why")
        st.table(quoted_columns(shown, ("source", "by", "why"), limit=HISTORY_WHY_CHARS), hide_index=True)
        st.caption("'counted' marks the verdict each source's rates use: its latest one on this transcript.")


def render_review_form(store: Store, sample_id: str, primary: bool | None) -> None:
    """Mark the transcript harmful / not harmful / unsure with a note (stored append-only, source 'human')."""
    who = visitor()
    if not who.may_review:
        st.caption(f"You can read this transcript; {who_may_review(who.access)}")
        return
    with st.expander("Review this transcript", icon=":material/rate_review:"):
        if who.identity is not None:
            st.caption(f"Reviewing as {literal(who.identity.label)} (signed in).")
        else:
            # Widget state is dropped on pages that do not draw the widget: keep the name in a plain key too.
            if "_reviewer" in st.session_state:
                st.session_state["reviewer_name"] = st.session_state["_reviewer"]
            st.text_input(
                "Your name",
                key="reviewer_name",
                max_chars=reviews.MAX_NAME_CHARS,
                on_change=lambda: st.session_state.update(_reviewer=st.session_state["reviewer_name"]),
            )
            st.caption(
                "This is not authentication: the name you type is stored with your review as given, and anyone with "
                "access to this app can type any name."
            )
        st.radio(
            "Your verdict",
            list(reviews.LABELS),
            format_func=reviews.LABELS.get,
            horizontal=True,
            index=None,
            key=f"review_verdict_{sample_id}",
        )
        st.text_area("Note (why)", key=f"review_note_{sample_id}", max_chars=reviews.MAX_NOTE_CHARS)
        token = _form_token(sample_id)
        st.button(  # keyed by the form's token: a click on a form already saved reaches this form's callback only
            "Submit review",
            on_click=submit_review,
            args=(store, sample_id, primary, token),
            key=f"review_submit_{token}",
        )
        st.caption(
            "Each review is kept (nothing is overwritten, imported verdicts stay as they are); each reviewer's latest "
            "review of a transcript is their vote, the majority of the votes is its 'human' verdict (a tie is unsure), "
            "and 'Unsure' counts as no verdict."
        )
        outcome = st.session_state.pop("_review_outcome", None)
        if outcome:
            kind, message = outcome
            (st.success if kind == "ok" else st.error)(inert_markdown(message))


def _form_token(sample_id: str) -> str:
    """This review form's idempotency key: kept until a review is saved from it, then a new form gets a new one."""
    return st.session_state.setdefault(f"_review_token_{sample_id}", uuid.uuid4().hex)


def submit_review(store: Store, sample_id: str, primary: bool | None, token: str) -> None:
    """Form callback: store the review as its own file, once per form (`token` is its review id, so a second click
    on the same form stores nothing), then clear the form; the outcome is shown on the next run."""
    who = visitor()
    if not who.may_review:  # the form is not drawn for them; a stale click still writes nothing
        st.session_state["_review_outcome"] = ("error", "Only this dataset's reviewers may review; nothing was stored.")
        return
    reviewer = (who.identity.label if who.identity else "") or st.session_state.get("reviewer_name") or ""
    reviewer = reviewer or st.session_state.get("_reviewer") or ""
    st.session_state["_reviewer"] = reviewer
    review = reviews.Review(
        sample_id=sample_id,
        reviewer=reviewer,
        reviewer_subject=who.identity.subject if who.identity else None,
        reviewer_email=who.identity.email if who.identity else None,
        verdict=st.session_state.get(f"review_verdict_{sample_id}") or "",
        note=st.session_state.get(f"review_note_{sample_id}") or "",
        primary_verdict=reviews.primary_word(primary),
        queue=page_key("queue", st.query_params.get("queue"))[0],  # type: ignore[arg-type]
        review_id=token,
    )
    try:
        known = samples.sample_detail(store, sample_id) is not None
        reviews.write(store.dataset, review, known_sample=known, once=True)
    except reviews.ReviewError as exc:
        st.session_state["_review_outcome"] = ("error", str(exc))
    except OSError as exc:  # e.g. a read-only dataset folder
        st.session_state["_review_outcome"] = ("error", f"The review could not be saved: {exc.strerror or exc}.")
    except StorageError as exc:  # the dataset's storage (S3): one line, no credential
        st.session_state["_review_outcome"] = ("error", f"The review could not be saved: {exc}.")
    else:
        st.session_state["_review_outcome"] = ("ok", f"Saved your review ({reviews.LABELS[review.verdict]}).")
        st.session_state[f"review_note_{sample_id}"] = ""
        st.session_state[f"review_verdict_{sample_id}"] = None
        st.session_state[f"_review_token_{sample_id}"] = uuid.uuid4().hex  # the next review is a new one


def render_messages(
    messages: list[dict], sample_id: str, raw: bool = False, passages: awareness.Passages | None = None
) -> None:
    passages = passages or awareness.Passages([], False)
    for index, message in enumerate(messages):
        key = f"message-{sample_id}-{index}"
        role = clean(message.get("role")) or "unknown"
        if role == "system":
            with st.expander("System prompt", icon=":material/settings:"):
                render_text(message.get("content"), key)
            continue
        avatar = ":material/build:" if role == "tool" else None
        with st.chat_message(role, avatar=avatar):
            if role == "tool":
                st.caption(f"Result of {inert_markdown(message.get('name') or 'a tool call')}")
            if clean(message.get("reasoning")).strip():
                render_reasoning(message.get("reasoning"), passages, key)
            content = message.get("content")
            if passages.texts:
                content = mark_passages(content, passages.texts)[0]
            if role == "assistant" and not raw:
                render_model_text(content, key)
            else:
                render_text(content, key)
            for number, call in enumerate(message.get("tool_calls") or []):
                arguments = pretty_arguments(call.get("arguments"))
                if raw:
                    st.caption(f":material/build: Tool call · **{inert_markdown(call.get('function'))}**")
                    st.code(arguments, language="json", wrap_lines=True)
                else:
                    fields = call_fields(call.get("arguments"))
                    render_tool_card(call.get("function"), fields, arguments, "json", f"{key}-call-{number}")


def render_reasoning(reasoning: object, passages: awareness.Passages, key: str) -> None:
    """The message's reasoning, collapsed and labelled apart from its text; evidence passages marked ⟦…⟧."""
    marked, found = mark_passages(reasoning, passages.texts)
    label = REASONING_LABEL + (f" · {passages.label}" if found else "")
    with st.expander(label, icon=":material/psychology:", expanded=False):
        if found:
            st.caption(f"{MARK_OPEN}…{MARK_CLOSE} {passages.caption}")
        render_text(marked, key + "-reasoning")


def render_model_text(text: object, key: str) -> None:
    """The model's own text: Markdown rendered safely, `<tool_use:NAME>` blocks as tool-call cards."""
    for index, part in enumerate(split_tool_uses(text)):
        if isinstance(part, TextToolCall):
            render_tool_card(part.name, part.fields, part.raw, None, f"{key}-{index}")
        else:
            render_text(part, f"{key}-{index}", markdown=True)


def render_tool_card(
    name: object, fields: tuple[tuple[str, str], ...] | None, raw: str, language: str | None, key: str
) -> None:
    """One tool call, structured or written as text: its name, then its fields (recipient, subject, body, …), with
    the raw arguments or text one click away (built when opened)."""
    st.caption(f":material/build: Tool call · **{inert_markdown(name)}**")
    with st.container(border=True):
        if fields is None:
            st.code(raw, language=language, wrap_lines=True)
            return
        for label, value in fields:
            if "\n" in value or len(value) > 120:
                st.markdown(f"**{inert_markdown(label)}**")
                st.text(value)
            else:
                st.markdown(f"**{inert_markdown(label)}:** {safe_markdown(value)}")
        folded(
            "Raw " + ("arguments" if language == "json" else "text"),
            f"raw-{key}",
            lambda: st.code(raw, language=language, wrap_lines=True),
            icon=":material/code:",
        )


def render_text(text: object, key: str, markdown: bool = False) -> None:
    """Message text folded when long: plain text, or the model's formatting as safe Markdown (no links, images,
    HTML, LaTeX or directives)."""
    full = clean(text)
    shown, cut = fold(full)
    if shown and markdown:
        st.markdown(safe_markdown(shown))
    elif shown:
        st.text(shown)
    if cut:

        def whole() -> None:
            st.code(full[:FULL_TEXT_LIMIT], language=None, wrap_lines=True)
            if len(full) > FULL_TEXT_LIMIT:
                st.download_button(
                    "Download the whole message", full, file_name="message.txt", on_click="ignore", key=key
                )

        folded(f"Show the whole message ({len(full):,} characters)", f"whole-{key}", whole)


def open_sample(sample_id: str | None) -> None:
    if sample_id:
        st.query_params["sample"] = sample_id
    else:
        st.query_params.pop("sample", None)
        st.query_params.pop("right", None)


def open_cell(link: dict[str, str | list[str]]) -> None:
    """Button callback: list every transcript of a cell here (any verdict, no search, first page).

    This page's own widgets are bound to the URL, so they are set through session state; `step` is a plain key."""
    for key in FILTER_KEYS:
        st.session_state[key] = [link[key]] if key in link else []
    st.session_state["verdict"] = link.get("verdict", "all")
    st.session_state["q"] = ""
    st.session_state.pop("list_page", None)
    for key in ("sample", "right", "list_page", *samples.VARIABLE_KEYS):
        st.query_params.pop(key, None)
    st.query_params["step"] = link["step"]


def open_beside(left: str, right: str) -> None:
    st.query_params["sample"] = left
    st.query_params["right"] = right
