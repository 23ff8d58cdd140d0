from hypothesis import given
from hypothesis import strategies as st

from evalboard.view import FILTER_KEYS, View

AVAILABLE = {
    "snapshot": ["snap-a", "snap-b"],
    "intervention": ["baseline", "safe_demos", "constitution_stories+harmlessness"],
    "stage": ["pretrained", "sft", "rl"],
    "family": ["blackmail", "leaking", "murder"],
    "grader": ["grader 1 (model/x)", "grader-2"],
}


def subsets(values):
    return st.lists(st.sampled_from(values), unique=True).map(tuple)


views = st.builds(
    View,
    snapshots=subsets(AVAILABLE["snapshot"]),
    interventions=subsets(AVAILABLE["intervention"]),
    stages=subsets(AVAILABLE["stage"]),
    families=subsets(AVAILABLE["family"]),
    graders=subsets(AVAILABLE["grader"]),
)


@given(views)
def test_round_trip_through_query_params(view):
    restored, warnings = View.from_query_params(view.to_query_params(), AVAILABLE)
    assert restored == view
    assert warnings == []


@given(views)
def test_round_trip_through_an_encoded_url(view):
    from urllib.parse import parse_qs, urlencode

    url = urlencode(view.to_query_params(), doseq=True)
    restored, _ = View.from_query_params(parse_qs(url), AVAILABLE)
    assert restored == view


def test_default_view_writes_no_params():
    assert View().to_query_params() == {}
    assert View().params() == {k: [] for k in ("snapshots", "interventions", "stages", "families", "graders")} | {
        "source": "primary"
    }


def test_unknown_values_are_dropped_with_a_warning():
    params = {
        "family": ["nope", "blackmail", "' OR 1=1 --", "x" * 10_000, "blackmail"],
        "snapshot": "snap-b",
        "bogus": ["1"],
    }
    view, warnings = View.from_query_params(params, AVAILABLE)
    assert view.families == ("blackmail",)  # the repeated value counts once
    assert view.snapshots == ("snap-b",)
    assert any("family='nope'" in w for w in warnings)
    assert any("OR 1=1" in w for w in warnings)
    long_warning = next(w for w in warnings if "10000 chars" in w)
    assert len(long_warning) < 300  # never echo a 10,000-character value back
    assert any("'bogus'" in w for w in warnings)


@given(st.dictionaries(st.sampled_from(list(FILTER_KEYS)), st.lists(st.text(max_size=30), max_size=4)))
def test_arbitrary_input_never_crashes_and_yields_only_known_values(params):
    view, _ = View.from_query_params(params, AVAILABLE)
    for key, name in FILTER_KEYS.items():
        assert set(getattr(view, name)) <= set(AVAILABLE[key])


SOURCES = {**AVAILABLE, "source": ["primary", "grader:b", "human"]}


def test_a_verdict_source_round_trips_and_primary_stays_out_of_the_url():
    view, warnings = View.from_query_params({"source": "grader:b", "family": "blackmail"}, SOURCES)
    assert (view.source, view.families, warnings) == ("grader:b", ("blackmail",), [])
    assert view.to_query_params() == {"family": ["blackmail"], "source": ["grader:b"]}
    assert view.params()["source"] == "grader:b"
    assert View(source="primary").to_query_params() == {}


def test_an_unknown_verdict_source_falls_back_to_primary_with_a_warning():
    view, warnings = View.from_query_params({"source": ["' OR 1=1 --"]}, SOURCES)
    assert view.source == "primary"
    assert len(warnings) == 1 and "no such verdict source" in warnings[0] and "OR 1=1" in warnings[0]
    view, warnings = View.from_query_params({"source": "grader:b"}, AVAILABLE)  # a dataset without other sources
    assert view.source == "primary" and warnings
