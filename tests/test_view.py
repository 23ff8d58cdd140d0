import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalboard.core.urls import PAGE_KEY_SPECS, PAGE_KEYS, PAGE_KEYS_BY_PAGE
from evalboard.core.view import FILTER_KEYS, View, ignored
from evalboard.screens.transcripts import page_key

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
    assert "Ignored ` family=nope ` from the URL: the dataset has no such family." in warnings
    assert "Ignored ` family=' OR 1=1 -- ` from the URL: the dataset has no such family." in warnings
    long_warning = next(w for w in warnings if "10,007 characters" in w)
    assert len(long_warning) < 300  # never echo a 10,000-character value back
    assert "Ignored unknown URL parameter ` bogus `." in warnings


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


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [
        ("3", 3, None),
        ("inf", None, "not a whole number"),
        ("nan", None, "not a whole number"),
        ("1e3", None, "not a whole number"),
        ("99999999999999999999999", 10**9, "out of range [1, 1000000000]; using 1000000000"),
        ("9" * 5000, None, "not a whole number"),
        ("-1", 1, "out of range [1, 1000000000]; using 1"),
        ("0", 1, "out of range [1, 1000000000]; using 1"),
        ("2000000000", 10**9, "out of range [1, 1000000000]; using 1000000000"),
        ("[x](http://127.0.0.2:9/x)", None, "not a whole number"),
        ("1_000", None, "not a whole number"),
        (" 3", None, "not a whole number"),
        ("\u0663", None, "not a whole number"),
    ],
)
def test_list_page_is_a_bounded_whole_number(raw, value, reason):
    got, warning = page_key("list_page", raw)
    assert got == value
    if reason is None:
        assert warning is None
    else:
        assert warning.endswith(f"from the URL: {reason}.")
        assert warning.startswith("Ignored ` list_page=")


@pytest.mark.parametrize("key", ["verdict", "sort"])
def test_unknown_choice_is_warned_about_like_any_other_key(key):
    assert page_key(key, PAGE_KEY_SPECS[key].choices[-1]) == (PAGE_KEY_SPECS[key].choices[-1], None)
    value, warning = page_key(key, "![x](http://127.0.0.2:9/p.png)")
    assert value is None
    assert warning == ignored(
        key, "![x](http://127.0.0.2:9/p.png)", "use one of " + ", ".join(PAGE_KEY_SPECS[key].choices)
    )
    assert f"Ignored ` {key}=![x](http://127.0.0.2:9/p.png) ` from the URL" in warning


def test_every_page_key_without_a_data_dependent_check_has_a_spec():
    data_checked = {"sample", "right", "q", "by", "awareness_source", "believed_source", "queue_x", "queue_y"}
    data_checked |= {"variable", "value"} | set(PAGE_KEYS_BY_PAGE["drivers"])  # a Drivers cell; the variable shown
    data_checked |= set(PAGE_KEYS_BY_PAGE["compare"]) - {"split", "section"}
    data_checked |= set(PAGE_KEYS_BY_PAGE["readiness"]) - {"as_of"}
    data_checked |= set(PAGE_KEYS_BY_PAGE["agreement"]) | (set(PAGE_KEYS_BY_PAGE[""]) - {"split"})  # sources, labellers
    assert set(PAGE_KEY_SPECS) == PAGE_KEYS - data_checked


def test_a_fresh_visit_lands_on_the_newest_snapshot_only_without_filter_keys():
    from evalboard.core.view import landing_snapshot

    snaps = ["old", "new"]
    assert landing_snapshot({}, snaps) == "new"
    assert landing_snapshot({"snapshots": "all"}, snaps) is None  # the pooled view, said explicitly
    assert landing_snapshot({"snapshots": ["all"]}, snaps) is None
    assert landing_snapshot({"family": ["murder"]}, snaps) is None  # an old link: opens as it always did
    assert landing_snapshot({"snapshot": []}, snaps) is None
    assert landing_snapshot({"sample": "x"}, snaps) == "new"  # page keys are not filters
    assert landing_snapshot({}, ["only"]) is None  # one snapshot is already all of them
