"""Formatting helpers for what the pages show.

`literal` is the one way an outside string (a URL key or value, a file name, a dataset title, a family,
intervention or snapshot name, an exception text that may hold them) enters Streamlit markdown: as an
inline code span. Nothing inside a code span is parsed — no links, images, HTML, LaTeX, emphasis — and
Streamlit's own text rewrites (`--` → em dash, `->` → arrow, `:material_x:` icons, emoji codes, bare-URL
autolinks) only touch text nodes, never code. The one rewrite Streamlit applies to the raw source before
parsing (`:material/` → `:material_`) is defused with an invisible word joiner. Line breaks and other
invisible characters (bidi overrides, zero-width spaces) are shown as escapes, so what a reader sees is
exactly the characters the string holds.

Below the quoting helpers: numbers and labels as a reader sees them, one formatter per kind of value, used
by every page, chart and export (docs/ARCHITECTURE.md). Pure functions, no Streamlit.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import unicodedata
from collections.abc import Iterable

import polars as pl

from evalboard.core.transcript_text import clean, inert_markdown

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


def quoted_columns(table: pl.DataFrame, columns: Iterable[str], limit: int = MAX_LITERAL_CHARS) -> pl.DataFrame:
    """`table` for `st.table`, which reads every cell as Markdown: each of `columns` present (outside strings) quoted
    with `literal`, nulls and empty strings shown as empty cells. A static table draws faster than a data grid
    (bench/README.md, "Page speed, round 2").

    Quoted in Python, not with a polars UDF: `map_elements` runs Python on polars' thread pool, and with several
    sessions' scripts converting frames at once that deadlocked the whole server (docs/ARCHITECTURE.md, "Threads").
    """
    names = [c for c in columns if c in table.columns]
    return table.with_columns(
        pl.Series(c, ["" if v is None or v == "" else literal(v, limit=limit) for v in table.get_column(c).to_list()],
                  dtype=pl.String)
        for c in names
    )  # fmt: skip


def plotly_text(value: object) -> str:
    """A data-derived label for a Plotly figure (ticks, legend, hover): Plotly reads a subset of HTML in text
    (`<a href>`, `<b>`, `<br>`, entities), so `&`, `<` and `>` become entities and the label stays text."""
    return clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sentence(text: object, names: Iterable[object], *, table_cell: bool = False) -> str:
    """Markdown for a sentence the app wrote that contains outside strings (family, snapshot, intervention names):
    each occurrence of a name is quoted with `literal`, the rest is escaped. Escaping alone would still let
    Streamlit autolink a name that is a bare URL, or typeset one with `--` in it."""
    text = clean(text)
    wanted = sorted({clean(n) for n in names} - {""}, key=len, reverse=True)
    if not wanted:
        return inert_markdown(text)
    parts, at = [], 0
    # Whole words only: a short name ("rl") must not be quoted inside another word ("earlier").
    for match in re.finditer(rf"(?<!\w)(?:{'|'.join(map(re.escape, wanted))})(?!\w)", text):
        parts += [inert_markdown(text[at : match.start()]), literal(match.group(), table_cell=table_cell)]
        at = match.end()
    return "".join([*parts, inert_markdown(text[at:])])


# --- numbers and labels ---------------------------------------------------------------------------------------

DASH = "–"  # shown where a value is undefined (no samples): never "nan"
STAGE_NAMES = {"pretrained": "pre-trained", "pre-trained": "pre-trained", "sft": "SFT", "rl": "RL", "dpo": "DPO"}


def pct(x: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: '6.7%'; below 1%, two significant figures ('0.31%', '0.0037%'); '–' if none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    if 0 < x < 0.01:
        decimals = max(decimals, 1 - math.floor(math.log10(100 * x)))
    return f"{100 * x:.{decimals}f}%"


def pcts(a: float, b: float) -> tuple[str, str]:
    """Two percentages with enough decimals that different values do not print the same ('5.04%' vs '5.00%')."""
    for decimals in (1, 2, 3, 4, 5, 6):
        sa, sb = pct(a, decimals), pct(b, decimals)
        if sa != sb or a == b:
            break
    return sa, sb


def about(m: int) -> str:
    """'50', 'about 310', 'about 1,300': exact below 100, else rounded up to two significant figures."""
    if m < 100:
        return str(m)
    step = 10 ** (len(str(m)) - 2)
    return f"about {math.ceil(m / step) * step:,}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ " (did you mean 'blackmail'?)" for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def held_out(family: str, held_out_families: Iterable[str] | bool) -> str:
    """'sabotage (held-out)' for a family kept out of every intervention's training data, else the name."""
    marked = held_out_families if isinstance(held_out_families, bool) else family in set(held_out_families)
    return f"{family} (held-out)" if marked else family


def checkpoint(stage: str, step: int | None = None, several_steps: bool = True) -> str:
    """A checkpoint for reading: 'pre-trained', 'SFT', 'RL step 400' (the step only where the stage has
    several). The URL keeps its own form ('rl@400', `checkpoints.checkpoint_labels`)."""
    name = STAGE_NAMES.get(stage.lower(), stage)
    return f"{name} step {step:,}" if several_steps and step is not None else name


def checkpoint_from_label(label: str) -> str:
    """'rl@400' → 'RL step 400', 'sft' → 'SFT' (labels as `checkpoints.checkpoint_labels` writes them)."""
    stage, sep, step = label.partition("@")
    return checkpoint(stage, int(step), True) if sep and step.lstrip("-").isdigit() else checkpoint(label, None, False)


# --- CSV: every export writes its cells through here ------------------------------------------------------------------

# A cell a spreadsheet would evaluate: a formula (=, +, -, @) or one hidden behind a tab or carriage return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """`value` as a CSV cell a spreadsheet shows and never runs.

    None is empty, a datetime is ISO 8601, numbers (also written as text, "-0.031") and booleans stay as they
    are; any other text that a spreadsheet would read as a formula gets a leading apostrophe (the usual defence
    against CSV injection), so a reviewer's note or an intervention name such as `=HYPERLINK(…)` stays text.
    """
    if value is None:
        return ""
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    """A plain number written as text ("-0.031", "1e-05"): a spreadsheet reads it as that number, nothing more."""
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def csv_comment(text: object) -> str:
    """One `# …` header line of a CSV export: line breaks and other invisible characters shown as escapes, so a
    name from the data cannot end the comment and start a row of its own."""
    return "# " + "".join(_visible(ch) for ch in str(text)) + "\n"


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]], comments: Iterable[object] = ()) -> str:
    """A CSV document: `# ` comment lines, the header, then the rows, every cell through `csv_cell`."""
    buf = io.StringIO()
    for line in comments:
        buf.write(csv_comment(line))
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()
