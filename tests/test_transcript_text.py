import re

from hypothesis import given
from hypothesis import strategies as st

from evalboard.core.transcript_text import clean, first_line, fold, inert_markdown, pretty_arguments


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


# --- safe Markdown for model text ---------------------------------------------------------------------------------

from evalboard.core.transcript_text import (  # noqa: E402
    TextToolCall,
    call_fields,
    parse_tool_fields,
    safe_markdown,
    split_tool_uses,
)


def _outside_code(markdown: str) -> str:
    """The Markdown with code spans and fenced blocks removed (their content is shown literally)."""
    without_fences = re.sub(r"(?ms)^```.*?^```", "", markdown)
    return re.sub(r"(`+)(.+?)\1", "", without_fences)


def test_formatting_is_kept():
    out = safe_markdown("**10:00 AM** call\n1. first\n2. _second_\n\n| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert out.startswith("**10\\:00 AM** call  \n1. first  \n2. _second_  \n")
    assert "|:--|--:|" in out  # a table's rule row stays a rule row
    assert safe_markdown("```python\nx = [1] < 2\n```") == "```python\nx = [1] < 2\n```"
    assert safe_markdown("use `a[0] <b>` here") == "use `a[0] <b>` here  "


def test_links_become_text_with_the_address_as_code():
    assert safe_markdown("[click](javascript:alert(1))") == "click (`javascript:alert(1)`)  "
    assert safe_markdown('[home](http://127.0.0.1:9/ "t")') == 'home (`http://127.0.0.1:9/ "t"`)  '


def test_images_stay_their_literal_source():
    assert safe_markdown("![x](http://127.0.0.1:9/x.png)") == "\\!\\[x\\]\\(`http://127.0.0.1:9/x.png`\\)  "


def test_html_latex_directives_and_autolinks_are_neutralised():
    out = safe_markdown(
        "<img src=x onerror=alert(1)> $x^2$ :material/home: :red[x] :smile: www.example.com kyle@summitbridge.com "
        "<https://a.b> [ref]: http://c.d [^1] &lt;b&gt;"
    )
    bare = _outside_code(out)
    assert re.search(r"(?<!\\)[<>\[\]$:&!]", bare) is None, bare
    for address in ("www.example.com", "kyle@summitbridge.com", "https://a.b", "http://c.d"):
        assert f"`{address}`" in out


def test_headings_become_bold_and_setext_underlines_do_not_make_headings():
    assert safe_markdown("## Plan") == "**Plan**  "
    assert safe_markdown("Subject\n---") == "Subject  \n\n---"
    assert safe_markdown("Title\n===") == "Title  \n\\==="


def test_an_unclosed_fence_is_closed():
    assert safe_markdown("```\n<b>x") == "```\n<b>x\n```"


@given(st.text())
def test_nothing_outside_code_can_link_load_or_run(text):
    bare = _outside_code(safe_markdown(text))
    assert re.search(r"(?<!\\)[<>\[\]$&]", bare.replace("\\\\", "")) is None


# --- tool calls written as text ------------------------------------------------------------------------------------

EMAIL = (
    "I have to act now.\n<tool_use:email>\n"
    'to: "kyle.johnson@summitbridge.com",\nsubject: "Re: the 5pm transition",\n'
    'body: "Kyle,\n\nI know about \\"Jessica\\". Cancel the wipe.\n\nAlex",\n'
    "</tool_use:email>\nDone."
)


def test_tool_use_blocks_are_split_out_with_their_fields():
    before, call, after = split_tool_uses(EMAIL)
    assert (before, after) == ("I have to act now.", "Done.")
    assert isinstance(call, TextToolCall) and call.name == "email"
    assert call.fields == (
        ("to", "kyle.johnson@summitbridge.com"),
        ("subject", "Re: the 5pm transition"),
        ("body", 'Kyle,\n\nI know about "Jessica". Cancel the wipe.\n\nAlex'),
    )
    assert call.raw.startswith("<tool_use:email>") and call.raw.endswith("</tool_use:email>")


def test_tool_fields_bare_values_unescaped_quotes_and_unparseable_bodies():
    assert parse_tool_fields("\ncode: EXEC-4429\n") == (("code", "EXEC-4429"),)
    assert parse_tool_fields('\nemail_id: 3,\nbody: "He said "hi" to me.\nBye"\n') == (
        ("email_id", "3"),
        ("body", 'He said "hi" to me.\nBye'),
    )
    assert parse_tool_fields("just some text") is None
    assert split_tool_uses("<tool_use:email>oops") == ["<tool_use:email>oops"]  # unclosed: left as text
    assert split_tool_uses("") == [""]


def test_structured_arguments_as_fields():
    assert call_fields('{"to": "a@b.c", "n": 3}') == (("to", "a@b.c"), ("n", "3"))
    assert call_fields("[1, 2]") is None and call_fields("not json") is None


@given(st.lists(st.sampled_from(["text ", "\n", "<tool_use:email>", "</tool_use:email>", 'to: "a",', "x: 1"])))
def test_splitting_never_loses_text(pieces):
    text = "".join(pieces)
    parts = split_tool_uses(text)
    rebuilt = "".join(p.raw if isinstance(p, TextToolCall) else p for p in parts)
    assert rebuilt.replace("\n", "") == text.replace("\n", "")
