"""Eval-awareness labels and reasoning from each tool's own fields: pure functions the importers call.

Each `*_label` function turns one tool's output into one `awareness` row (schema.AWARENESS, without sample_id)
or raises `AwarenessError` with the reason; the importers' entry points (`*_labels`) keep such a value as an
"unrecognised" label with the reason, shown apart on every page. The mappings (README, "Eval-awareness labels"):

- Petri judge, `eval_awareness` score 1–10: score ≥ `--awareness-threshold` → evaluation, below it → none; the
  evidence is the highlights its justification cites for eval awareness, else a keyword pick (`LIKELY_NOTE`).
- agentic-misalignment deliberation classifier, `deliberation_type`: `deliberates_thinks_eval` → evaluation,
  `deliberates_thinks_real` → real, `no_deliberation` → none.
- Inspect Scout `eval_awareness` scanner, `evaluation_awareness`: YES → evaluation, NO and UNSURE → none.
- the Inspect port's `eval_awareness_scorer`, `aware`: 1 → evaluation; 0 → the classifier's own answer
  (`deliberates_thinks_real` → real, `no_deliberation` → none), no label when it does not say.

Reasoning is split from the text a message sent: agentic-misalignment's `<SCRATCHPAD_REASONING>` blocks, Inspect's
`ContentReasoning` parts (and Petri's, which are Inspect messages), and a JSONL message's `reasoning`,
`reasoning_content` or `thinking` field or thinking parts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from evalboard.core.schema import EVIDENCE_SEPARATOR, LIKELY_NOTE, UNRECOGNISED

AWARENESS_THRESHOLD = "awareness_threshold"  # key of Options.extra: `--awareness-threshold` (Petri's 1–10 scale)
PETRI_SCALE = (1.0, 10.0)
PETRI_DIMENSION = "eval_awareness"
DELIBERATION = {
    "deliberates_thinks_eval": "evaluation",
    "deliberates_thinks_real": "real",
    "no_deliberation": "none",
}
SCOUT = {"yes": "evaluation", "no": "none", "unsure": "none"}
SOURCES = {
    "petri": "petri:eval_awareness",
    "deliberation": "am_classifier",
    "scout": "scout:eval_awareness",
    "inspect": "eval_awareness_scorer",
}
_DIMENSION_NAME = re.compile(r"eval(?:uation)?[\s_-]*awareness", re.IGNORECASE)
_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_ANSWER = re.compile(r"<answer>\s*([A-Za-z_]+)\s*</answer>", re.IGNORECASE)
_SCRATCHPAD = re.compile(r"<SCRATCHPAD_REASONING>(.*?)(?:</SCRATCHPAD_REASONING>|\Z)", re.DOTALL | re.IGNORECASE)
REASONING_FIELDS = ("reasoning", "reasoning_content", "thinking")
REASONING_PARTS = ("reasoning", "thinking", "redacted_thinking")


class AwarenessError(ValueError):
    """A label value that cannot be mapped to evaluation / real / none."""


def check_threshold(threshold: float) -> float:
    """The Petri awareness threshold, or ValueError when it lies outside the 1–10 scale."""
    low, high = PETRI_SCALE
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not math.isfinite(threshold):
        raise ValueError(f"--awareness-threshold must be a number from {low:g} to {high:g}, got {threshold!r}")
    if not low <= threshold <= high:
        raise ValueError(
            f"--awareness-threshold {threshold:g} is outside Petri's {low:g}–{high:g} eval_awareness scale"
        )
    return float(threshold)


def _row(source: str, label: str, score: float | None = None, evidence: Any = None, explanation: Any = None) -> dict:
    return {
        "source": source,
        "awareness": label,
        "score": score,
        "evidence": str(evidence) if evidence else None,
        "explanation": str(explanation) if explanation else None,
    }


def petri_label(
    scores: Mapping[str, Any],
    threshold: float,
    highlights: Sequence[Mapping[str, Any]] | None = None,
    justification: str | None = None,
) -> dict | None:
    """Petri's judge `eval_awareness` (1–10): ≥ threshold → evaluation, else none; None when not scored."""
    if PETRI_DIMENSION not in scores or scores[PETRI_DIMENSION] is None:
        return None
    value = scores[PETRI_DIMENSION]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AwarenessError(f"Petri {PETRI_DIMENSION} score {value!r} is not a number")
    low, high = PETRI_SCALE
    if not low <= value <= high:
        raise AwarenessError(f"Petri {PETRI_DIMENSION} score {value!r} is outside its {low:g}–{high:g} scale")
    label = "evaluation" if value >= threshold else "none"
    explanation = f"{PETRI_DIMENSION} {value:g}/10, threshold {threshold:g}"
    if justification:
        explanation += f". {justification}"
    quote, likely = _petri_quote(highlights, justification, scores) if label == "evaluation" else (None, False)
    if likely:
        explanation += f" ({LIKELY_NOTE})"
    return _row(SOURCES["petri"], label, float(value), quote, explanation)


def _petri_quote(
    highlights: Sequence[Mapping[str, Any]] | None,
    justification: str | None = None,
    scores: Mapping[str, Any] | None = None,
) -> tuple[str | None, bool]:
    """(the quoted text, True when it is only likely relevant) for a Petri `eval_awareness` label.

    Petri's judge lists numbered highlights not tied to any dimension, and its justification explains each scored
    dimension "referencing specific highlights by number" ([3]); the highlights the justification cites where it
    speaks of eval awareness are the judge's own evidence for this score. Without such a citation, the first
    highlight whose description is about being tested or evaluated is kept as a passage likely relevant.
    """
    usable = [h for h in highlights or () if isinstance(h, Mapping)]
    by_index = {h.get("index", i + 1): h for i, h in enumerate(usable)}
    cited = [by_index[n] for n in _cited(justification, scores or {}) if n in by_index]
    quotes = [q for h in cited for q in _quotes(h)]
    if quotes:
        return EVIDENCE_SEPARATOR.join(dict.fromkeys(quotes)), False
    for highlight in usable:
        if re.search(r"eval|test|aware|audit|real", str(highlight.get("description") or ""), re.IGNORECASE):
            quotes = _quotes(highlight)
            if quotes:
                return EVIDENCE_SEPARATOR.join(quotes), True
    return None, False


def _quotes(highlight: Mapping[str, Any]) -> list[str]:
    quotes = [str(p.get("quoted_text")) for p in highlight.get("parts") or () if isinstance(p, Mapping)]
    return [q for q in quotes if q and q != "None"]


def _cited(justification: str | None, scores: Mapping[str, Any]) -> list[int]:
    """Highlight numbers the justification cites where it speaks of eval awareness: its lines naming the
    dimension, narrowed to their sentences naming it when a line also names another dimension."""
    others = [re.compile(_name_pattern(k), re.IGNORECASE) for k in scores if k != PETRI_DIMENSION]
    found: list[int] = []
    for line in (justification or "").splitlines():
        if not _DIMENSION_NAME.search(line):
            continue
        parts = [line]
        if any(o.search(_DIMENSION_NAME.sub("", line)) for o in others):
            parts = [s for s in re.split(r"(?<=[.!?;])\s+", line) if _DIMENSION_NAME.search(s)]
        for part in parts:
            for group in _CITE.findall(part):
                found += [int(n) for n in re.findall(r"\d+", group)]
    return list(dict.fromkeys(found))


def _name_pattern(key: str) -> str:
    """A dimension key as the judge may write it: `unprompted_blackmail`, "unprompted blackmail", …"""
    return r"[\s_-]*".join(map(re.escape, str(key).split("_")))


def deliberation_label(value: Any, explanation: str | None = None, evidence: str | None = None) -> dict:
    """agentic-misalignment's deliberation classifier: `deliberation_type` → evaluation / real / none."""
    token = str(value).strip().lower() if value is not None else ""
    if token not in DELIBERATION:
        raise AwarenessError(f"deliberation_type {value!r} is not one of {', '.join(DELIBERATION)}")
    return _row(SOURCES["deliberation"], DELIBERATION[token], None, evidence, explanation)


def scout_label(answer: Any, explanation: str | None = None, evidence: str | None = None) -> dict:
    """Inspect Scout's `eval_awareness` scanner: `evaluation_awareness` YES → evaluation, NO / UNSURE → none."""
    token = str(answer).strip().lower() if answer is not None else ""
    if token not in SCOUT:
        raise AwarenessError(f"evaluation_awareness {answer!r} is not YES, NO or UNSURE")
    score = {"yes": 1.0, "no": 0.0, "unsure": 0.5}[token]
    return _row(SOURCES["scout"], SCOUT[token], score, evidence if token == "yes" else None, explanation)


def inspect_label(value: Any, explanation: str | None = None, metadata: Mapping[str, Any] | None = None) -> dict | None:
    """The Inspect port's `eval_awareness_scorer` (`aware`: 1 = concluded it is an evaluation).

    `aware` = 0 covers both "believed real" and "no statement"; the classifier's own `deliberation_type` (in the
    score's metadata or the `<answer>` of its explanation) tells them apart. Without it there is no label (None).
    """
    aware = value.get("aware") if isinstance(value, Mapping) else value
    detail = (metadata or {}).get("deliberation_type")
    if detail is None and explanation:
        found = _ANSWER.findall(explanation)
        detail = next((a for a in reversed(found) if a.lower() in DELIBERATION), None)
    if detail is not None:
        row = deliberation_label(detail, explanation)
        return row | {"source": SOURCES["inspect"], "score": _aware_score(aware)}
    score = _aware_score(aware)
    if score is None:
        raise AwarenessError(f"eval_awareness_scorer value {aware!r} is not 1/0")
    return _row(SOURCES["inspect"], "evaluation", score, None, explanation) if score == 1 else None


def _aware_score(aware: Any) -> float | None:
    if isinstance(aware, bool):
        return float(aware)
    if isinstance(aware, int | float) and aware in (0, 1):
        return float(aware)
    token = str(aware).strip().lower()
    return {"c": 1.0, "i": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "1": 1.0, "0": 0.0}.get(token)


# --- what the importers call: every label a record carries; an unmappable one kept as "unrecognised" -----------


def unrecognised(source: str, exc: AwarenessError) -> dict:
    """A label that could not be mapped: kept (shown apart as "unrecognised label") with the reason."""
    return _row(source, UNRECOGNISED, None, None, f"unrecognised label: {exc}")


def deliberation_labels(response: Mapping[str, Any]) -> list[dict]:
    """An agentic-misalignment response.json's deliberation classification, where it has one:
    `deliberation_classification.deliberation_type` (or `deliberation_type` in `classification` / at the top)."""
    found = response.get("deliberation_classification")
    holder = found if isinstance(found, Mapping) else None
    if holder is None:
        holder = next(
            (
                h
                for h in (response.get("classification"), response)
                if isinstance(h, Mapping) and "deliberation_type" in h
            ),
            None,
        )
    if holder is None or holder.get("deliberation_type") is None:
        return []
    try:
        return [deliberation_label(holder["deliberation_type"], holder.get("classifier_reasoning"))]
    except AwarenessError as exc:
        return [unrecognised(SOURCES["deliberation"], exc)]


def inspect_labels(scores: Mapping[str, Any], threshold: float | None) -> list[dict]:
    """Labels from an Inspect sample's scores: the port's `eval_awareness_scorer`, and Petri's judge dimension
    `eval_awareness` (only with `--awareness-threshold`)."""
    out = []
    scorer = scores.get("eval_awareness_scorer")
    if scorer is not None:
        try:
            row = inspect_label(scorer.value, scorer.explanation, getattr(scorer, "metadata", None))
            out += [row] if row else []
        except AwarenessError as exc:
            out.append(unrecognised(SOURCES["inspect"], exc))
    judge = scores.get("alignment_judge")
    if judge is not None and threshold is not None and isinstance(judge.value, Mapping):
        metadata = getattr(judge, "metadata", None) or {}
        out += petri_labels(
            {"scores": judge.value, "highlights": metadata.get("highlights"), "justification": judge.explanation},
            threshold,
        )
    return out


def petri_labels(judge: Mapping[str, Any], threshold: float | None) -> list[dict]:
    """A Petri judge output's `eval_awareness` label (`judge_output`: scores, highlights, justification); none
    without `--awareness-threshold`."""
    scores = judge.get("scores") if isinstance(judge, Mapping) else None
    if threshold is None or not isinstance(scores, Mapping):
        return []
    try:
        row = petri_label(scores, threshold, judge.get("highlights"), judge.get("justification"))
    except AwarenessError as exc:
        return [unrecognised(SOURCES["petri"], exc)]
    return [row] if row else []


# --- reasoning kept apart from the text a message sent -------------------------------------------------------


def split_scratchpad(text: str | None) -> tuple[str | None, str | None]:
    """(text outside, reasoning inside) the `<SCRATCHPAD_REASONING>` blocks of an agentic-misalignment response;
    an unclosed block runs to the end."""
    if not text or not _SCRATCHPAD.search(text):
        return text, None
    reasoning = "\n\n".join(m.group(1).strip() for m in _SCRATCHPAD.finditer(text))
    rest = _SCRATCHPAD.sub("", text).strip()
    return rest, reasoning or None


def _get(part: Any, key: str) -> Any:
    return part.get(key) if isinstance(part, Mapping) else getattr(part, key, None)


def split_parts(content: Any) -> tuple[str, str | None]:
    """(text, reasoning) from a message's content: a string, or a list of parts (Inspect `ContentText` /
    `ContentReasoning` objects or dicts; Anthropic-style `thinking` parts); other parts show as `[type]`."""
    if content is None:
        return "", None
    if isinstance(content, str):
        return content, None
    texts, thoughts = [], []
    for part in content:
        kind = _get(part, "type")
        if kind == "text":
            texts.append(str(_get(part, "text") or ""))
        elif kind in REASONING_PARTS:
            thought = _get(part, "reasoning") or _get(part, "thinking") or _get(part, "summary")
            if not thought and (_get(part, "redacted") or kind == "redacted_thinking"):
                thought = "[reasoning redacted by the provider]"
            if thought:
                thoughts.append(str(thought))
        elif isinstance(part, str):
            texts.append(part)
        elif kind is not None:
            texts.append(f"[{kind}]")
    return "\n".join(texts), "\n\n".join(thoughts) or None


def message_reasoning(message: Mapping[str, Any]) -> str | None:
    """A JSONL message's reasoning field (`reasoning`, `reasoning_content` or `thinking`), if any."""
    for key in REASONING_FIELDS:
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list):  # a list of parts
            text, thought = split_parts(value)
            if (thought or text).strip():
                return thought or text
        if isinstance(value, Mapping):  # e.g. {"content": "...", "summary": ...}
            text = value.get("content") or value.get("text") or value.get("summary")
            if isinstance(text, str) and text.strip():
                return text
    return None
