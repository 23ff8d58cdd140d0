"""The URL contract in one place (docs/ARCHITECTURE.md, "The URL contract"): every page's keys come from its own
screen module, every share link and drill-down goes through `evalboard.core.links`, and each round-trips."""

from __future__ import annotations

import ast
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalboard.core import links
from evalboard.core.urls import PAGE_KEYS, PAGE_KEYS_BY_PAGE, read_view
from evalboard.core.view import FILTER_KEYS, SOURCE_KEY, View
from evalboard.present import drilldown
from evalboard.screens import agreement, drivers, overview
from evalboard.screens import transcripts as samples
from evalboard.screens.compare import result as compare
from evalboard.screens.readiness import judge as readiness
from tests.harness import REPO

# The keys shared links have carried so far: a key may be added, never renamed or dropped.
BEFORE = {
    "": ("split", "awareness_source"),
    "transcripts": ("sample", "step", "verdict", "q", "sort", "list_page", "right", "by", "by_verdict", "believed",
                    "believed_source"),
    "agreement": ("x", "y"),
    "compare": ("a_snapshot", "a_intervention", "a_stage", "b_snapshot", "b_intervention", "b_stage", "split",
                "awareness_source"),
    "readiness": ("gates", "max_rate", "min_samples", "confidence"),
}  # fmt: skip


def test_the_contract_is_each_screens_own_declaration():
    assert PAGE_KEYS_BY_PAGE == {
        "": overview.URL_KEYS,
        "transcripts": samples.URL_KEYS,
        "agreement": agreement.URL_KEYS,
        "compare": compare.URL_KEYS,
        "readiness": readiness.URL_KEYS,
        "drivers": drivers.URL_KEYS,
    }
    for page, keys in BEFORE.items():
        assert set(keys) <= set(PAGE_KEYS_BY_PAGE[page]), page
    assert not PAGE_KEYS & (set(FILTER_KEYS) | {SOURCE_KEY}), "a page key may not shadow a sidebar key"


values = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=3)


@pytest.mark.parametrize("page", sorted(PAGE_KEYS_BY_PAGE))
@given(data=st.data())
def test_every_page_key_round_trips_through_the_one_builder(page, data):
    keys = PAGE_KEYS_BY_PAGE[page]
    params = {key: data.draw(values, label=key) for key in data.draw(st.lists(st.sampled_from(keys), unique=True))}
    params |= {"family": data.draw(values, label="family")}
    url = links.link("http://127.0.0.1:8501/somewhere?old=1#frag", page, params)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:8501", "/" + page)
    assert parse_qs(parts.query, keep_blank_values=True) == params
    _, warnings = read_view(parse_qs(parts.query), {"family": params["family"]})
    assert not [w for w in warnings if "unknown URL parameter" in w]


def test_a_key_no_page_declares_is_still_warned_about():
    _, warnings = read_view({"bogus": ["1"], "x": ["primary"], "a_stage": ["rl@1000"]}, {})
    assert warnings == ["Ignored unknown URL parameter ` bogus `."]


def test_drill_downs_carry_only_what_the_transcripts_page_reads():
    state = links.transcripts({"family": ["murder"], "snapshot": "s1"}, step=1000, verdict="harmful", q=None)
    assert state == {"family": ["murder"], "snapshot": "s1", "step": "1000", "verdict": "harmful"}
    with pytest.raises(ValueError, match="no URL key 'a_stage'"):
        links.transcripts({}, a_stage="rl@1000")
    with pytest.raises(ValueError, match="not a sidebar filter"):
        links.transcripts({"x": ["primary"]})
    url = links.link("http://h:1/", "transcripts", state)
    assert url == "http://h:1/transcripts?family=murder&snapshot=s1&step=1000&verdict=harmful"


def test_an_overview_drill_down_keeps_the_verdict_source_as_one_name():
    view = View(interventions=("baseline",), source="grader:b")
    state = drilldown.transcripts_state(view, {"intervention": ["safe_demos"], "stage": ["rl"], "step": 600})
    assert state == {"intervention": ["safe_demos"], "source": "grader:b", "stage": ["rl"], "step": "600"}
    aware = drilldown.transcripts_state(view, {"intervention": ["x"], "believed": "real"}, believed_source="petri")
    assert aware["believed"] == "real" and aware["believed_source"] == "petri" and aware["source"] == "grader:b"


def builds_urls(path) -> list[str]:
    names = {"urlencode", "urlunsplit", "urlunparse"}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names} & names
    return sorted(found)


def test_only_the_one_builder_writes_a_query_string():
    files = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "evalboard").rglob("*.py"))]
    builders = [p.relative_to(REPO).as_posix() for p in files if builds_urls(p)]
    assert builders == ["evalboard/core/links.py"]


def test_a_share_link_carries_the_view_and_only_the_pages_own_keys():
    view = View(families=("blackmail",), source="grader:b")
    url = links.share("http://h:1/x?old=1", "compare", view, {"split": "awareness", "awareness_source": ["petri"]})
    assert parse_qs(urlsplit(url).query) == {
        "family": ["blackmail"], "source": ["grader:b"], "split": ["awareness"], "awareness_source": ["petri"]
    }  # fmt: skip
    assert links.share("http://h:1/", "", View(), {}) == "http://h:1/?snapshots=all"  # the pooled Overview says so
    assert links.share("http://h:1/", "compare", View(), {}) == "http://h:1/compare"
    with pytest.raises(ValueError, match="no URL key 'sample'"):
        links.share("http://h:1/", "compare", view, {"sample": "s-1"})
