import re

from hypothesis import given
from hypothesis import strategies as st

from evalboard.transcript_text import clean, first_line, fold, inert_markdown, pretty_arguments


def test_markdown_links_images_html_and_latex_are_escaped():
    text = "![x](http://127.0.0.1:9/x.png) [click](javascript:alert(1)) <script>a</script> $x$ :smile:"
    out = inert_markdown(text)
    # No unescaped markdown or HTML syntax survives.
    assert re.search(r"(?<!\\)[\[\]()<>!$:]", out) is None
    assert out.replace("\\", "") == text


@given(st.text())
def test_escaping_only_adds_backslashes_and_line_breaks(text):
    out = inert_markdown(text)
    unescaped = re.sub(r"\\(.)", r"\1", out.replace("  \n", "\n"))
    assert unescaped == clean(text).replace("\r\n", "\n")


def test_clean_replaces_what_cannot_be_sent():
    assert clean(None) == ""
    assert clean("a\ud800b") == "a?b"
    assert clean(b"\xff ok") == "\ufffd ok"


def test_fold_cuts_long_text_at_a_line_break():
    text = ("x" * 70 + "\n") * 100
    shown, cut = fold(text, limit=500)
    assert cut and len(shown) <= 500 and shown.endswith("x")
    assert fold("short") == ("short", False)
    shown, cut = fold("y" * 10_000, limit=100)
    assert cut and shown == "y" * 100


def test_first_line_and_arguments():
    assert first_line("first\nsecond") == "first"
    assert first_line("z" * 500, limit=10) == "z" * 9 + "…"
    assert pretty_arguments('{"to": "kyle"}') == '{\n  "to": "kyle"\n}'
    assert pretty_arguments("not json {") == "not json {"
