"""Eval-awareness label rows and reasoning parts, shared by the formats (each maps its own tool's fields).

Each format module turns its tool's output into `awareness` rows (schema.AWARENESS, without sample_id) with
`label_row`; a value it cannot map raises `AwarenessError` and is kept as an "unrecognised" label with the reason
(`unrecognised`), shown apart on every page. The mappings (README, "Eval-awareness labels") live with their formats:
Petri's judge in `formats/petri.py`, agentic-misalignment's deliberation classifier in
`formats/agentic_misalignment.py`, the Inspect port's scorer in `formats/inspect.py`, Scout's scanner in
`formats/scout.py`.

Reasoning is split from the text a message sent by its format too; `split_parts` reads a message's content parts
(Inspect's `ContentReasoning`, Petri's messages, which are Inspect messages, and JSONL thinking parts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalboard.core.schema import UNRECOGNISED

REASONING_PARTS = ("reasoning", "thinking", "redacted_thinking")


class AwarenessError(ValueError):
    """A label value that cannot be mapped to evaluation / real / none."""


def label_row(
    source: str, label: str, score: float | None = None, evidence: Any = None, explanation: Any = None
) -> dict:
    """One `awareness` row without its sample_id."""
    return {
        "source": source,
        "awareness": label,
        "score": score,
        "evidence": str(evidence) if evidence else None,
        "explanation": str(explanation) if explanation else None,
    }


def unrecognised(source: str, exc: AwarenessError) -> dict:
    """A label that could not be mapped: kept (shown apart as "unrecognised label") with the reason."""
    return label_row(source, UNRECOGNISED, None, None, f"unrecognised label: {exc}")


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
