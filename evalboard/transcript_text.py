"""Make model-written text inert before it reaches the page.

Transcripts are untrusted. Message bodies are shown with `st.text` (no Markdown at all). Where a short
piece of untrusted text has to sit inside Markdown (a tool name in a caption, an id in a message),
`inert_markdown` backslash-escapes every ASCII punctuation character (CommonMark allows that for all of
them), so `![x](http://…)` cannot become an image that loads, `[a](javascript:…)` a link, `$…$` LaTeX or
`:emoji:` an icon. Bare web and e-mail addresses can still be autolinked there (clickable, never fetched),
which is why long model text never goes through it.
"""

from __future__ import annotations

import json
import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
FOLD_AT = 4000  # characters shown before a long message is folded
FULL_TEXT_LIMIT = 200_000  # characters shown when unfolded; the rest is offered as a download


def clean(text: object) -> str:
    """A str that can be sent to the browser: None → '', lone surrogates / invalid UTF-8 → U+FFFD."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return str(text).encode("utf-8", errors="replace").decode("utf-8", errors="replace")


def inert_markdown(text: object) -> str:
    """Markdown source that displays `text` literally: no links, images, HTML, LaTeX or emoji codes."""
    escaped = _PUNCTUATION.sub(r"\\\1", clean(text))
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")  # keep the author's line breaks


def fold(text: str, limit: int = FOLD_AT) -> tuple[str, bool]:
    """The first `limit` characters (cut at a line break when one is near) and whether text was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind("\n", limit // 2, limit)
    return text[: cut if cut > 0 else limit], True


def first_line(text: object, limit: int = 160) -> str:
    line = clean(text).strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def pretty_arguments(arguments: object) -> str:
    """Tool-call arguments as indented JSON when they parse, else the raw text."""
    raw = clean(arguments)
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return raw


MARK_OPEN, MARK_CLOSE = "⟦", "⟧"  # plain-text marks around a quoted passage (text stays inert: no styling)
REASONING_LABEL = "Reasoning — not shown to the user"


def _passage_pattern(passage: str) -> re.Pattern[str] | None:
    """The passage as a pattern that tolerates differences in case and white space."""
    words = clean(passage).split()
    return re.compile(r"\s+".join(map(re.escape, words)), re.IGNORECASE) if words else None


def mark_passages(text: object, passages: list[str]) -> tuple[str, list[str]]:
    """`text` with every occurrence of each passage wrapped in ⟦…⟧, and the passages that were found."""
    marked, found = clean(text), []
    for passage in passages:
        pattern = _passage_pattern(passage)
        if pattern is None or not pattern.search(marked):
            continue
        marked = pattern.sub(lambda m: f"{MARK_OPEN}{m.group(0)}{MARK_CLOSE}", marked)
        found.append(passage)
    return marked, found
