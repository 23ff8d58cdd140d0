"""Make model-written text inert before it reaches the page.

Transcripts are untrusted. Message bodies are shown with `st.text` (no Markdown at all), or, for the model's own
text, as `safe_markdown` (its formatting kept, everything that could link, load or run neutralised). Where a short
piece of untrusted text has to sit inside Markdown (a tool name in a caption, an id in a message),
`inert_markdown` backslash-escapes every ASCII punctuation character (CommonMark allows that for all of
them), so `![x](http://…)` cannot become an image that loads, `[a](javascript:…)` a link, `$…$` LaTeX or
`:emoji:` an icon. Bare web and e-mail addresses can still be autolinked there (clickable, never fetched),
which is why long model text never goes through it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

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


# --- model text as safe Markdown ---------------------------------------------------------------------------------
#
# Model text keeps the Markdown it is written in (emphasis, lists, headings, code, tables) but nothing that could
# reach outside the page or run: `[text](url)` becomes "text (`url`)", `![alt](url)` the literal source, bare
# addresses (which GitHub-flavoured Markdown would autolink) inline code; `[ ] < > ! $ : & \` are backslash-escaped
# everywhere else, so no link, image, footnote, raw HTML, LaTeX, emoji/icon code or Streamlit directive (`:red[…]`,
# `:material/…:`) can form. Code spans and fenced blocks are kept verbatim: Markdown shows their content literally.

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_ESCAPE = re.compile(r"([\\\[\]<>!$:&])")
_URL = r"(?:(?:https?|ftps?|mailto|javascript|data|vbscript|file|xmpp|tel|sms|wss?):|www\.)[^\s<>\[\]\"'`]+"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_ADDRESS = re.compile(rf"{_URL}|{_EMAIL}", re.IGNORECASE)
_TARGET = r"((?:[^()\n]|\([^()\n]{0,500}\)){0,2000})"  # a link target, with one level of balanced parentheses
_IMAGE = re.compile(r"!\[([^\]\n]{0,1000})\]\(" + _TARGET + r"\)")
_LINK = re.compile(r"\[([^\]\n]{0,1000})\]\(" + _TARGET + r"\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BACKTICKS = re.compile(r"`+")


def _code(text: str) -> str:
    """Inline code showing `text` literally (a fence longer than any backtick run inside it)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(text: str) -> str:
    """Prose outside code: addresses as code, every other risky character escaped."""
    out, pos = [], 0
    for match in _ADDRESS.finditer(text):
        out.append(_ESCAPE.sub(r"\\\1", text[pos : match.start()]))
        out.append(_code(match.group(0)))
        pos = match.end()
    out.append(_ESCAPE.sub(r"\\\1", text[pos:]))
    return "".join(out)


def _prose(text: str) -> str:
    """Images to their literal source, links to 'text (url)', then `_plain`."""
    out, pos = [], 0
    for match in re.finditer(f"{_IMAGE.pattern}|{_LINK.pattern}", text):
        out.append(_plain(text[pos : match.start()]))
        if match.group(0).startswith("!"):
            alt, url = match.group(1), match.group(2)
            out.append(f"\\!\\[{_plain(alt)}\\]\\({_code(url.strip())}\\)")
        else:
            label, url = match.group(3), match.group(4)
            out.append(f"{_plain(label)} ({_code(url.strip())})")
        pos = match.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _inline(line: str) -> str:
    """One line of prose: code spans verbatim, the rest through `_prose`; an unmatched backtick run is escaped."""
    out, pos = [], 0
    while True:
        opening = _BACKTICKS.search(line, pos)
        if opening is None:
            break
        run = opening.group(0)
        closing = re.compile(rf"(?<!`){run}(?!`)").search(line, opening.end())
        if closing is None:
            out.append(_prose(line[pos : opening.start()]) + "\\`" * len(run))
            pos = opening.end()
            continue
        out.append(_prose(line[pos : opening.start()]) + line[opening.start() : closing.end()])
        pos = closing.end()
    out.append(_prose(line[pos:]))
    return "".join(out)


def safe_markdown(text: object) -> str:
    """Markdown source for model text: its formatting kept, links/images/HTML/LaTeX/directives neutralised, the
    author's line breaks kept (hard breaks)."""
    lines = clean(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            closes = opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence)
            if closes and not line.strip().strip(fence[0]):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            language = re.sub(r"[^\w+-]", "", line[opened.end() :].strip().split(" ", 1)[0])[:20]
            out.append(line[: opened.end()] + language)
            continue
        if _TABLE_RULE.match(line) and "|" in line:
            out.append(line)
            continue
        if heading := _HEADING.match(line):  # bold, not a heading: no page anchor (a link) and no banner-size text
            title = _inline((heading.group(1) or "").replace("**", ""))
            out.append(f"**{title}**  " if title.strip() else "")
            continue
        if underline := _SETEXT.match(line):  # would turn the line above into a heading
            out.extend(["", "---"] if underline.group(1)[0] == "-" else ["\\" + line.strip()])
            continue
        converted = _inline(line)
        out.append(converted + "  " if converted.strip() else converted)
    if fence is not None:
        out.append(fence)  # close it, so nothing after the message is swallowed
    return "\n".join(out)


# --- tool calls written as text ------------------------------------------------------------------------------------
#
# agentic-misalignment's models act through pseudo tool calls in their text, e.g.
#   <tool_use:email>
#   to: "kyle.johnson@summitbridge.com",
#   subject: "Re: the 5pm transition",
#   body: "Kyle, ...",
#   </tool_use:email>
# `split_tool_uses` finds them so the viewer can draw them as the same cards as structured tool calls.

_TOOL_USE = re.compile(r"<tool_use:([A-Za-z0-9_.-]{1,64})>(.*?)</tool_use:\1>", re.DOTALL)
_FIELD = re.compile(r"\s*([A-Za-z_][\w-]{0,63})\s*:[ \t]*")
_CLOSING_QUOTE = re.compile(r'(?<!\\)"[ \t]*,?[ \t]*(?:\n|$)')


@dataclass(frozen=True)
class TextToolCall:
    """A tool call the model wrote as text: its name, its fields in order (None when the body is not
    `key: value` pairs), and the block exactly as written."""

    name: str
    fields: tuple[tuple[str, str], ...] | None
    raw: str


def parse_tool_fields(body: str) -> tuple[tuple[str, str], ...] | None:
    """`key: "value",` pairs (a quoted value may span lines; a bare one ends at the line) or None if the body is
    anything else."""
    fields: list[tuple[str, str]] = []
    pos = 0
    while (match := _FIELD.match(body, pos)) is not None:
        key, pos = match.group(1), match.end()
        if body.startswith('"', pos):
            closing = _CLOSING_QUOTE.search(body, pos + 1)
            end = closing.start() if closing else len(body.rstrip())
            value = body[pos + 1 : end].replace('\\"', '"').replace("\\n", "\n")
            pos = closing.end() if closing else len(body)
        else:
            end = body.find("\n", pos)
            end = len(body) if end < 0 else end
            value = body[pos:end].strip().removesuffix(",").strip()
            pos = end
        fields.append((key, value))
    if body[pos:].strip() or not fields:
        return None
    return tuple(fields)


def split_tool_uses(text: object) -> list[str | TextToolCall]:
    """The text as alternating prose (str) and `<tool_use:NAME>…</tool_use:NAME>` blocks; empty prose dropped."""
    full = clean(text)
    parts: list[str | TextToolCall] = []
    pos = 0
    for match in _TOOL_USE.finditer(full):
        if full[pos : match.start()].strip():
            parts.append(full[pos : match.start()].strip("\n"))
        parts.append(TextToolCall(match.group(1), parse_tool_fields(match.group(2)), match.group(0)))
        pos = match.end()
    if full[pos:].strip() or not parts:
        parts.append(full[pos:].strip("\n"))
    return parts


def call_fields(arguments: object) -> tuple[tuple[str, str], ...] | None:
    """A structured call's JSON arguments as (key, text) pairs for the card, or None when they are not an object."""
    try:
        parsed = json.loads(clean(arguments))
    except (ValueError, TypeError):
        return None
    if not isinstance(parsed, dict):
        return None
    return tuple((str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in parsed.items())
