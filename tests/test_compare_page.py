"""AppTest: the Compare page restores A and B from the URL, says what is wrong with bad input, never raises."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness import app_test, opened
from tests.helpers import sample, shown, write_samples

SIDES = ("a_snapshot", "a_intervention", "a_stage", "b_snapshot", "b_intervention", "b_stage")


def open_compare(query: dict | None = None, data=None, monkeypatch=None) -> AppTest:
    at = app_test(query, page="compare", data=data, monkeypatch=monkeypatch)
    assert not at.exception
    return at


def sides(at: AppTest) -> dict[str, str]:
    return {s.key: s.value for s in at.selectbox if s.key in SIDES}


def headline(at: AppTest) -> str:
    """The headline paragraph, with Markdown escapes removed."""
    text = next(m.value for m in at.markdown if m.value.startswith("Against") or m.value.startswith("Nothing"))
    return shown(text)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_default_is_baseline_vs_newest_intervention_at_the_final_checkpoint():
    at = open_compare()
    assert [t.value for t in at.title] == ["Compare"]
    assert sides(at) == {
        "a_snapshot": "atlas-2026-11",
        "a_intervention": "baseline",
        "a_stage": "rl@1000",
        "b_snapshot": "atlas-2026-11",
        "b_intervention": "constitution_stories+harmlessness",
        "b_stage": "rl@1000",
    }
    assert headline(at).startswith("Against baseline, constitution_stories+harmlessness lowers the harmful-action rate")
    assert "Held-out family 'sabotage'" in headline(at)
    table = at.dataframe[0].value
    assert list(table["family"])[-1] == "all families (pooled)" and len(table) == 5
    # What fits a screen: the family, its verdict (plain-text marks), both rates and the change; the rest below.
    assert list(table.columns) == ["family", "verdict", "A", "B", "B − A"]
    assert set(table["verdict"]) == {"▼ lower"}
    assert any(": A/B " in shown(c.value) and "x lower" in shown(c.value) and "; paired: " in shown(c.value)
               for c in at.caption)  # fmt: skip
    assert "nan" not in table.to_string().lower()
    rates, diffs = figures(at)  # the "Families" section: only the open section is drawn
    assert "all families (pooled)" in diffs["data"][0]["y"]
    # Whether the change survives training is said in the headline; its charts are the "Training" section's.
    assert "lasts to the final checkpoint" in " ".join(shown(m.value) for m in at.markdown)
    training, gap = figures(open_compare({"section": "Training"}))
    assert [t["name"] for t in training["data"] if t.get("name")] == [
        "A: baseline",
        "B: constitution_stories+harmlessness",
    ]
    assert gap["layout"]["xaxis"]["categoryarray"][-1] == "RL step 1,000"
    (stack,) = figures(open_compare({"section": "Stacking"}))
    assert "constitution_stories+harmlessness" in " ".join(stack["data"][0]["x"])
    assert not at.main.code  # built when its expander opens
    share = next(c.value for c in opened(at, "share_comparison").main.code if "a_snapshot" in c.value)
    assert "a_snapshot=atlas-2026-11" in share and "b_intervention=constitution_stories%2Bharmlessness" in share


def test_url_restores_both_sides_and_the_family_filter():
    at = open_compare(
        {
            "a_snapshot": "atlas-2026-05",
            "b_snapshot": "atlas-2026-05",
            "b_intervention": "deliberation_rewrites",
            "b_stage": "sft",
            "family": ["blackmail", "leaking"],
        }
    )
    assert not at.warning
    assert sides(at)["b_intervention"] == "deliberation_rewrites" and sides(at)["b_stage"] == "sft"
    table = at.dataframe[0].value
    assert sorted(table["family"][:-1]) == ["blackmail", "leaking"]
    assert "A = baseline · RL step 1,000; B = deliberation_rewrites · SFT" in [shown(c.value) for c in at.caption]
    assert "across 2 families (atlas-2026-05)" in headline(at)
    # Drill-down: transcripts of B in the top family, at its exact checkpoint.
    family = table["family"][0]
    next(b for b in at.button if b.label.replace("\\", "").startswith("B:")).click().run()
    assert not at.exception and [t.value for t in at.title] == ["Transcripts"]
    assert at.session_state["intervention"] == ["deliberation_rewrites"] and at.session_state["family"] == [family]
    listed = at.dataframe[0].value
    assert set(listed["checkpoint"]) == {"SFT"} and set(listed["snapshot"]) == {"atlas-2026-05"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("a_snapshot", "nope"),
        ("b_stage", "rl@123"),
        ("b_intervention", "' OR 1=1 --"),
        ("a_stage", "x" * 5000),
        ("section", "[x](https://127.0.0.2/)"),
    ],
    ids=["snapshot", "stage", "sql", "long", "section"],
)
def test_unknown_url_values_warn_and_fall_back_to_the_default(key, value):
    at = open_compare({key: value})
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and f"Ignored ` {key}=" in warnings[0] and len(warnings[0]) < 400
    assert sides(at)["a_snapshot"] == "atlas-2026-11"  # the defaults stand
    assert len(at.dataframe) == 1  # the first section opens
    assert key != "section" or "use one of Families, Training, Stacking" in warnings[0]


def test_identical_sides_say_so_instead_of_a_table():
    at = open_compare({"b_intervention": "baseline"})
    assert any("A and B are the same" in w.value for w in at.warning)
    assert not at.dataframe and not at.get("plotly_chart")


def test_a_snapshot_without_that_intervention_is_named():
    at = open_compare({"a_snapshot": "atlas-2026-05", "a_intervention": "difficult_advice"})
    [warning] = [shown(w.value) for w in at.warning]
    assert "snapshot atlas-2026-05 has no difficult_advice runs; it holds baseline, safe_demos" in warning
    assert not at.dataframe


def test_swap_button_exchanges_a_and_b(monkeypatch):
    import logging

    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # Streamlit warns once per process
    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    policies._LOGGER.addHandler(handler)  # Streamlit's loggers do not propagate to pytest's
    try:
        at = open_compare()
        at.button(key="compare_swap").click().run()
    finally:
        policies._LOGGER.removeHandler(handler)
    assert not at.exception
    assert sides(at)["a_intervention"] == "constitution_stories+harmlessness"
    assert sides(at)["b_intervention"] == "baseline"
    assert at.query_params["a_intervention"] == "constitution_stories+harmlessness"  # the address bar follows
    assert not [text for text in logged if "Session State API" in text]
    assert "baseline raises the harmful-action rate" in headline(at)


def test_selecting_a_row_points_the_drill_down_at_it():
    at = open_compare()
    at.session_state["compare_table"] = {"selection": {"rows": [4], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any("all families \\(pooled\\)" in m.value for m in at.markdown)
    next(b for b in at.button if b.label.replace("\\", "").startswith("A:")).click().run()
    assert at.session_state["family"] == []  # pooled: every family of the view


def tiny(i: int, **kw) -> dict:
    return sample(i, scenario=f"s{i % 7}", epoch=i, **kw)


def test_missing_checkpoint_and_empty_filtered_side(tmp_path, monkeypatch):
    rows = [tiny(i, intervention="baseline", stage_step=step) for i in range(20) for step in (100, 200)]
    rows += [tiny(100 + i, intervention="fix", scenario_family="leaking", stage_step=100) for i in range(20)]
    write_samples(tmp_path / "samples" / "part.parquet", [dict(r, sample_id=f"x{j}") for j, r in enumerate(rows)])
    at = open_compare(
        {"b_intervention": "fix", "a_stage": "rl@200", "b_stage": "rl@200"}, data=tmp_path, monkeypatch=monkeypatch
    )
    [warning] = [shown(w.value) for w in at.warning]
    assert "fix in snap-a was not evaluated at RL step 200; its checkpoints are RL step 100." in warning
    at = open_compare(
        {"b_intervention": "fix", "a_stage": "rl@100", "family": "blackmail"}, data=tmp_path, monkeypatch=monkeypatch
    )
    assert any("B has no graded samples in the selected families" in i.value for i in at.info)
    at = open_compare({"b_intervention": "fix", "a_stage": "rl@100"}, data=tmp_path, monkeypatch=monkeypatch)
    table = at.dataframe[0].value
    assert set(table["verdict"]) >= {"no samples on A", "no samples on B"}
    assert "nan" not in table.to_string().lower()


def test_the_pages_own_share_link_restores_the_same_view_as_the_sidebars():
    """Compare's own link carries every key the sidebar's "Share this view" carries: the sides, the filters, the
    verdict source and the eval-awareness split (its labeller too), so both reopen exactly this view."""
    query = {"split": "awareness", "awareness_source": "am_classifier", "family": ["blackmail", "leaking"],
             "b_intervention": "deliberation_rewrites"}  # fmt: skip
    at = opened(open_compare(query), "share_comparison", "share_view")
    own = next(c.value for c in at.main.code if "a_snapshot" in c.value)
    sidebar = at.sidebar.code[0].value
    assert parse_qs(urlsplit(own).query) == parse_qs(urlsplit(sidebar).query)
    assert urlsplit(own).path == urlsplit(sidebar).path == "/compare"
    assert {"split": ["awareness"], "awareness_source": ["am_classifier"]}.items() <= parse_qs(
        urlsplit(own).query
    ).items()
    assert "section" not in parse_qs(urlsplit(own).query)  # the first tab is the default, left out as in the address


def test_the_open_section_is_in_the_share_link():
    """A tab other than the first is part of the view: the sidebar's link carries it (the page's own link is in the
    first tab)."""
    at = opened(open_compare({"section": "Stacking"}), "share_view")
    assert parse_qs(urlsplit(at.sidebar.code[0].value).query)["section"] == ["Stacking"]
    assert len(at.get("plotly_chart")) == 1 and not at.dataframe  # only the open section is built
