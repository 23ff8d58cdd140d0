"""Formatting helpers for what the pages show.

`literal` is the one way an outside string (a URL key or value, a file name, a dataset title, a family,
intervention or snapshot name, an exception text that may hold them) enters Streamlit markdown: as an
inline code span. Nothing inside a code span is parsed — no links, images, HTML, LaTeX, emphasis — and
Streamlit's own text rewrites (`--` → em dash, `->` → arrow, `:material_x:` icons, emoji codes, bare-URL
autolinks) only touch text nodes, never code. The one rewrite Streamlit applies to the raw source before
parsing (`:material/` → `:material_`) is defused with an invisible word joiner. Line breaks and other
invisible characters (bidi overrides, zero-width spaces) are shown as escapes, so what a reader sees is
exactly the characters the string holds.
"""

from __future__ import annotations

import re
import unicodedata

from evalboard.transcript_text import clean

MAX_LITERAL_CHARS = 200  # longer values are cut, with their length said
_BACKTICKS = re.compile(r"`+")
_WORD_JOINER = "\u2060"


def _visible(char: str) -> str:
    """A control or format character as its escape (`\\n`, `\\u202e`); any other character as itself."""
    if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp"):
        return char
    escaped = char.encode("unicode_escape").decode("ascii")
    return escaped if escaped != char else f"\\u{ord(char):04x}"


def literal(value: object, *, limit: int = MAX_LITERAL_CHARS, table_cell: bool = False) -> str:
    """Markdown that shows `value` character for character, as inline code.

    The fence is one backtick longer than the longest run inside, padded with a space on each side
    (CommonMark strips exactly those). `table_cell=True` escapes `|` for a cell of a markdown table, where
    GFM splits cells even inside code spans.
    """
    text = clean(value)
    if text == "":
        return "*(empty)*"
    shown = "".join(_visible(c) for c in text[:limit]).replace(":material/", f":{_WORD_JOINER}material/")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    if table_cell:
        shown = shown.replace("|", "\\|")
    pad = "" if shown.strip(" ") == "" else " "  # a span of spaces alone is not stripped
    quoted = f"{fence}{pad}{shown}{pad}{fence}"
    return quoted if len(text) <= limit else f"{quoted}… ({len(text):,} characters)"


def plotly_text(value: object) -> str:
    """A data-derived label for a Plotly figure (ticks, legend, hover): Plotly reads a subset of HTML in text
    (`<a href>`, `<b>`, `<br>`, entities), so `&`, `<` and `>` become entities and the label stays text."""
    return clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
