"""AppTest: the Overview and Data health pages, URL → view restore, and bad input."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness import app_test, opened
from tests.helpers import sample, shown, write_samples


def run_app(query: dict | None = None, data=None, monkeypatch=None) -> AppTest:
    return app_test(query, data=data, monkeypatch=monkeypatch, timeout=60)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def filters(at: AppTest) -> dict[str, list[str]]:
    return {m.key: m.value for m in at.multiselect}


def test_overview_renders_three_charts_on_demo_data():
    at = run_app({"snapshots": "all"})
    assert not at.exception and not at.warning
    assert [t.value for t in at.title] == ["Blackmail rate"]
    bars, lines, heat = figures(at)
    assert len(bars["data"][0]["x"]) == 8  # every intervention
    assert any("Synthetic demo data" in i.value for i in at.info)
    assert "sabotage (held-out)" in heat["data"][0]["y"]
    assert set(filters(at)) == {"snapshot", "intervention", "stage", "family", "grader"}
    assert "RL step 1,000" in lines["layout"]["xaxis"]["categoryarray"]
    # The release evaluations put most samples of the candidates at rl@1000: the page says so.
    assert any("Some interventions have far more samples at one checkpoint" in c.value for c in at.caption)


def test_the_numbers_behind_the_charts_are_built_when_their_expander_opens():
    """Closed (the default), the expander holds nothing; opened, the two tables show the charts' own rates (n and
    the Wilson interval on every row), the names from the data quoted."""
    from evalboard.core.fmt import quoted_columns
    from evalboard.core.view import View
    from evalboard.present import charts
    from evalboard.screens import metrics
    from evalboard.ui.session import get_store

    at = app_test({"snapshot": "atlas-2026-05"})
    [numbers] = [e for e in at.expander if e.label == "The numbers behind the charts"]
    assert not numbers.table and not at.table
    at.session_state["overview_numbers"] = True  # what a click on the expander sets
    at.run()
    assert not at.exception
    [numbers] = [e for e in at.expander if e.label == "The numbers behind the charts"]
    view = View(snapshots=("atlas-2026-05",))
    expected = [
        quoted_columns(charts.rate_table(metrics.rates(get_store(), "rate_by_intervention", view), "intervention"),
                       ("intervention",)),
        quoted_columns(charts.rate_table(metrics.rates(get_store(), "rate_by_family", view), "scenario_family",
                                         "intervention"), ("intervention", "scenario_family")),
    ]  # fmt: skip
    assert [t.value.reset_index(drop=True).to_dict("list") for t in numbers.table] == [
        e.to_pandas().to_dict("list") for e in expected
    ]
    assert all(str(v).startswith("`") for v in numbers.table[0].value["intervention"])


def test_url_restores_the_view_and_charts_follow_it():
    at = run_app({"snapshot": "atlas-2026-05", "family": ["blackmail", "leaking"]})
    assert not at.exception and not at.warning
    assert filters(at)["snapshot"] == ["atlas-2026-05"]
    assert filters(at)["family"] == ["blackmail", "leaking"]
    bars, _, heat = figures(at)
    assert {x.split("<br>")[0] for x in bars["data"][0]["x"]} == {"baseline", "safe_demos", "deliberation_rewrites"}
    assert set(heat["data"][0]["y"]) == {"blackmail", "leaking"}
    # The share link holds the same view; it is built when its expander opens.
    assert not at.sidebar.code
    share = opened(at, "share_view").sidebar.code[0].value
    assert "snapshot=atlas-2026-05" in share and "family=blackmail&family=leaking" in share


def test_changing_a_filter_redraws_the_charts():
    # AppTest does not parse URL writes of bound widgets back; the browser test checks the address bar.
    at = run_app()
    at.multiselect(key="family").set_value(["murder"]).run()
    assert not at.exception
    _, _, heat = figures(at)
    assert set(heat["data"][0]["y"]) == {"murder"}


@pytest.mark.parametrize(
    "value", ["nope", "' OR 1=1 --", "x" * 10_000, "<script>alert(1)</script>"], ids=["unknown", "sql", "long", "html"]
)
def test_bad_url_values_are_dropped_with_a_warning(value):
    at = run_app({"family": [value, "blackmail", "blackmail"], "intervention": "baseline"})
    assert not at.exception
    assert filters(at)["family"] == ["blackmail"]
    assert filters(at)["intervention"] == ["baseline"]
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "Ignored ` family=" in warnings[0] and len(warnings[0]) < 300
    assert len(figures(at)) == 3


def test_filters_matching_nothing_say_so():
    at = run_app({"snapshot": "atlas-2026-05", "intervention": "difficult_advice"})
    assert not at.exception
    assert [i.value for i in at.info if "match" in i.value] == [
        "No samples match these filters. Clear a filter in the sidebar to see more."
    ]


def test_a_fresh_visit_opens_on_the_newest_snapshot_and_one_click_widens_it():
    at = run_app()
    assert not at.exception and not at.warning
    assert filters(at)["snapshot"] == ["atlas-2026-11"]  # the sidebar shows the choice that was made
    assert any("Showing snapshot atlas-2026-11, the newest of 4" in shown(m.value) for m in at.markdown)
    bars, _, _ = figures(at)
    assert {x.split("<br>")[0] for x in bars["data"][0]["x"]} == {
        "baseline", "deliberation_rewrites", "constitution_stories+harmlessness"
    }  # fmt: skip
    assert opened(at, "share_view").sidebar.code[0].value.endswith("/?snapshot=atlas-2026-11")
    [widen] = [b for b in at.button if b.label == "Show all 4 snapshots"]
    widen.click().run()
    assert not at.exception and filters(at)["snapshot"] == []
    assert len(figures(at)[0]["data"][0]["x"]) == 8
    assert at.query_params["snapshots"] == "all"  # the address bar reopens the pooled view …
    assert at.sidebar.code[0].value.endswith("/?snapshots=all")  # … and so does the share link
    assert not any("Showing snapshot" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("query", "snapshots"),
    [
        ({"snapshots": "all"}, []),  # a link of the pooled view, written by this version
        ({"intervention": "baseline"}, []),  # an old link with any filter key opens exactly as before
        ({"family": "murder"}, []),
        ({"snapshot": "atlas-2026-05"}, ["atlas-2026-05"]),
    ],
)
def test_links_with_a_filter_or_the_marker_open_exactly_their_view(query, snapshots):
    at = run_app(query)
    assert not at.exception and not at.warning
    assert filters(at)["snapshot"] == snapshots
    share = opened(at, "share_view").sidebar.code[0].value
    reopened = run_app({k: v for k, v in parse_qs(urlsplit(share).query).items()})
    assert filters(reopened) == filters(at)  # the share link round-trips exactly
    assert figures(reopened)[0] == figures(at)[0]


def test_a_bad_all_snapshots_marker_is_named():
    at = run_app({"snapshots": "atlas-2026-05"})
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "Ignored ` snapshots=atlas-2026-05 ` from the URL: it can only be 'all' (pick snapshots with snapshot=…)."
    ]


def test_all_ungraded_transcripts_say_what_is_true(tmp_path, monkeypatch):
    """40 real transcripts, none graded yet: no filter is set, so 'clear a filter' would mislead."""
    rows = [sample(i, harmful=None, classifier_verdict=None) for i in range(40)]
    write_samples(tmp_path / "real" / "samples" / "a.parquet", rows)
    at = run_app(data=tmp_path / "real", monkeypatch=monkeypatch)
    assert not at.exception
    assert [i.value for i in at.info] == ["All 40 transcripts are ungraded; rates need verdicts — see Data health."]
    assert not at.get("plotly_chart")
    at = run_app({"family": "blackmail"}, data=tmp_path / "real", monkeypatch=monkeypatch)
    assert "all 40 that match are ungraded; rates need verdicts" in at.info[0].value


def test_missing_folder_says_how_to_load_data(tmp_path, monkeypatch):
    at = run_app(data=tmp_path / "does-not-exist", monkeypatch=monkeypatch)
    assert not at.exception
    assert "does not exist" in at.error[0].value and "evalboard demo" in at.error[0].value


def test_empty_folder_says_how_to_load_data(tmp_path, monkeypatch):
    at = run_app(data=tmp_path, monkeypatch=monkeypatch)
    assert not at.exception
    assert "holds no readable samples" in at.error[0].value


def test_corrupt_file_is_named_and_the_rest_still_shows(tmp_path, monkeypatch):
    write_samples(tmp_path / "samples" / "good.parquet", [sample(i) for i in range(20)])
    (tmp_path / "samples" / "truncated.parquet").write_bytes(b"PAR1\x00\x00")
    at = run_app(data=tmp_path, monkeypatch=monkeypatch)
    assert not at.exception
    assert any("could not be read" in w.value for w in at.warning)
    assert len(figures(at)) == 3
    at.switch_page("pages/data_health.py").run()
    assert not at.exception
    assert any("truncated.parquet" in e.value and "not a readable Parquet file" in e.value for e in at.error)
    files = next(t.value for t in at.table if "status" in t.value.columns)  # a short list: a static table
    assert set(files["status"]) == {"ok", "rejected"}
    assert set(files["file"]) == {"` samples/good.parquet `", "` samples/truncated.parquet `"}  # quoted


def test_data_health_page_on_demo_data():
    at = app_test(page="data_health", timeout=60)
    assert not at.exception
    assert [m.value for m in at.metric][0] == "30,107"  # training sweeps + release evaluations
    assert any("Every Parquet file" in s.value for s in at.success)


def test_a_long_file_list_is_a_data_grid(tmp_path, monkeypatch):
    from evalboard.ui.session import STATIC_TABLE_CELLS

    rows = STATIC_TABLE_CELLS // 4 + 1  # the file list has 4 columns
    for i in range(rows):
        write_samples(tmp_path / "samples" / f"part-{i:03d}.parquet", [sample(i)])
    at = run_app(data=tmp_path, monkeypatch=monkeypatch)
    at.switch_page("pages/data_health.py").run()
    assert not at.exception
    files = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert len(files) == rows and files["file"].iloc[0] == "samples/part-000.parquet"
    assert not any("status" in t.value.columns for t in at.table)


def test_data_health_lists_imports(tmp_path, monkeypatch):
    from evalboard.commands.cli import main

    log = tmp_path / "log.jsonl"
    log.write_text(
        '{"sample_id": "x1", "snapshot": "m", "intervention": "baseline", "training_stage": "rl", "stage_step": 1,'
        ' "scenario_family": "blackmail", "harmful": true, "messages": []}\n{broken\n'
    )
    assert main(["ingest", str(log), "--out", str(tmp_path / "ds"), "-q"]) == 0
    at = run_app(data=tmp_path / "ds", monkeypatch=monkeypatch)
    at.switch_page("pages/data_health.py").run()
    assert not at.exception
    imports = next(t.value for t in at.table if "rejected" in t.value.columns)
    assert imports[["records", "imported", "rejected"]].iloc[0].tolist() == [2, 1, 1]


def test_after_a_run_the_objects_alive_then_are_left_out_of_every_full_collection():
    """app.py ends with `session.freeze_long_lived()`: Streamlit's `gc.collect(2)` after each run then skips the
    modules and everything else alive at that moment (it walked ~200,000 objects each run), while a reference cycle
    made later is still collected, and a run that imported nothing new freezes nothing more."""
    import gc
    import weakref

    from evalboard.ui.session import freeze_long_lived

    run_app({"snapshot": "atlas-2026-05"})
    frozen = gc.get_freeze_count()
    assert frozen > 10_000

    class Node:
        pass

    node = Node()
    node.me = node
    alive = weakref.ref(node)
    del node
    gc.collect()
    assert alive() is None
    freeze_long_lived()
    frozen = gc.get_freeze_count()
    freeze_long_lived()  # nothing imported since the last freeze: nothing more frozen
    assert gc.get_freeze_count() == frozen
