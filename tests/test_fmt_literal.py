"""`fmt.literal`: any outside string, quoted so CommonMark (and Streamlit's markdown) shows it as typed."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from evalboard.core.fmt import literal, sentence

COMMONMARK = MarkdownIt("commonmark")
GFM = MarkdownIt("commonmark").enable("table")
HOSTILE = [
    "[Log in again](http://127.0.0.2:9/x)",
    "![x](http://127.0.0.2:9/p.png)",
    "<img src=http://127.0.0.2:9/i.png>",
    "<a href='http://127.0.0.2:9/'>a</a>",
    "' OR 1=1 --",
    "a -> b <= c",
    "$x^2$ and $$y$$",
    ":material/warning: :red[red] :smile: :streamlit:",
    "~~struck~~ **bold** _it_ # not a heading",
    "`one` ``two`` ```three```",
    "`",
    "x`",
    "&amp; &lt;",
    "www.example.com http://127.0.0.2:9/ a@b.example",
    "<http://127.0.0.2:9/>",
]


def inline(markdown: str, parser: MarkdownIt = COMMONMARK) -> list:
    [paragraph] = [t for t in parser.parse(markdown) if t.type == "inline"]
    return paragraph.children


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_one_code_span_holding_the_value(value):
    tokens = inline(f"Ignored {literal(value)} from the URL.")
    kinds = [t.type for t in tokens]
    assert kinds == ["text", "code_inline", "text"], kinds
    shown = tokens[1].content.replace("\u2060", "")  # the word joiner that defuses `:material/`
    assert shown == value


def test_material_icon_syntax_cannot_reach_streamlit_source_rewrite():
    # Streamlit rewrites ":material/" to ":material_" in the raw source before parsing.
    assert ":material/" not in literal(":material/warning:")


@pytest.mark.parametrize("value", ["a\nb", "# heading\n- item", "x\r\ny", "tab\there", "\u202eevil", "zero\u200bwidth"])
def test_line_breaks_and_invisible_characters_are_shown_as_escapes(value):
    out = literal(value)
    assert "\n" not in out and "\r" not in out
    [code] = [t for t in inline(out) if t.type == "code_inline"]
    assert code.content == value.encode("unicode_escape").decode("ascii")
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in code.content)


def test_empty_and_long_values():
    assert literal("") == "*(empty)*"
    out = literal("x" * 10_000)
    assert out.endswith("… (10,000 characters)") and len(out) < 300
    assert literal(None) == "*(empty)*"


def test_table_cells_keep_pipes_inside_the_cell():
    value = "a|b ![x](http://127.0.0.2:9/p.png)"
    html = GFM.render(f"| family | n |\n|---|---|\n| {literal(value, table_cell=True)} | 3 |\n")
    assert html.count("<td>") == 2
    assert "<code>a|b ![x](http://127.0.0.2:9/p.png)</code>" in html


VISIBLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=60)


@given(VISIBLE)
def test_any_printable_value_round_trips_through_commonmark(value):
    tokens = inline(f"x {literal(value)} y")
    codes = [t for t in tokens if t.type == "code_inline"]
    assert len(codes) == 1
    content = codes[0].content.replace("\u2060", "")
    # CommonMark normalises nothing inside a code span except line endings (there are none here).
    assert content == value
    assert not any(t.type in ("link_open", "image", "html_inline") for t in tokens)


def test_sentence_quotes_each_name_and_escapes_the_rest():
    names = ["blackmail", "http://127.0.0.2:9/a", "x--y", "rl", "rl@1000"]
    text = "1 of 4 fail (blackmail, http://127.0.0.2:9/a, x--y) at rl@1000; rl earlier."
    out = sentence(text, names)
    tokens = inline(out)
    codes = [t.content for t in tokens if t.type == "code_inline"]
    assert codes == ["blackmail", "http://127.0.0.2:9/a", "x--y", "rl@1000", "rl"]  # not the "rl" in "earlier"
    assert not any(t.type in ("link_open", "image", "html_inline") for t in tokens)
    assert "".join(t.content for t in tokens) == text
