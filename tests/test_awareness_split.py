"""Rates split by eval-awareness: the statistics (unit) and the Overview / Compare pages (AppTest), with numbers
checked against a hand count over the Parquet files."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from evalboard.core.fmt import literal
from evalboard.core.schema import AWARENESS
from evalboard.core.stats import format_rate
from evalboard.data.store import Store
from evalboard.screens import awareness as aw
from tests.helpers import DEMO, REPO, sample, write_samples

APP = str(REPO / "app.py")


def write_awareness(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    base = {"source": "am_classifier", "score": None, "evidence": None, "explanation": None}
    base["created_at"] = datetime(2026, 1, 2, tzinfo=UTC)
    pq.write_table(pa.Table.from_pylist([base | r for r in rows], schema=AWARENESS), path)


def small_dataset(root, labels: dict[int, str], harmful: dict[int, bool], **sample_overrides):
    """Samples t-000000… with the given verdicts and awareness labels (unlabelled where `labels` lacks i)."""
    rows = [sample(i, harmful=h, **sample_overrides.get(i, {})) for i, h in harmful.items()]
    write_samples(root / "samples" / "s.parquet", rows)
    write_awareness(
        root / "awareness" / "a.parquet", [{"sample_id": f"t-{i:06d}", "awareness": v} for i, v in labels.items()]
    )
    return root


# --- statistics --------------------------------------------------------------------------------------------------


def split_of(root, source="am_classifier"):
    view = {"snapshots": [], "interventions": [], "stages": [], "families": [], "graders": [], "source": "primary"}
    frame = Store(root).run("awareness_by_intervention", view | {"awareness_source": source})
    return aw.complete(frame, ["intervention"])


def test_unlabelled_and_unrecognised_labels_are_apart_and_an_empty_class_says_so(tmp_path):
    harmful = {i: i % 3 == 0 for i in range(12)}
    labels = {i: "real" for i in range(6)} | {6: "EVALUATION ", 7: "maybe", 8: "none"}  # 9–11 unlabelled
    split = split_of(small_dataset(tmp_path, labels, harmful))
    got = {r["awareness"]: (r["k"], r["n"]) for r in split.to_dicts()}
    assert got == {"real": (2, 6), "evaluation": (1, 1), "none": (0, 1), "unrecognised": (0, 1), "unlabelled": (1, 3)}
    table = aw.table(split, "intervention").to_dicts()[0]
    assert table["believed real"] == format_rate(2, 6) and table["no label"] == format_rate(1, 3)
    # Only "real" labels: the other classes say why there is no number.
    split = split_of(small_dataset(tmp_path / "b", {i: "real" for i in range(12)}, harmful))
    table = aw.table(split, "intervention").to_dicts()[0]
    assert table["believed evaluation"] == aw.EMPTY and table["real − evaluation"].startswith("no gap")
    assert "nan" not in str(table).lower()


def test_newest_label_of_a_source_wins_and_other_sources_are_ignored(tmp_path):
    small_dataset(tmp_path, {0: "real"}, {0: True})
    old, new = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    write_awareness(tmp_path / "awareness" / "b.parquet", [
        {"sample_id": "t-000000", "awareness": "evaluation", "created_at": new},
        {"sample_id": "t-000000", "awareness": "none", "created_at": old},
        {"sample_id": "t-000000", "awareness": "none", "source": "petri"},
    ])  # fmt: skip
    got = {r["awareness"]: r["n"] for r in split_of(tmp_path).to_dicts() if r["n"]}
    assert got == {"evaluation": 1}
    assert {r["awareness"]: r["n"] for r in split_of(tmp_path, "petri").to_dicts() if r["n"]} == {"none": 1}


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.tuples(hs.sampled_from(["real", "evaluation", "none", "odd", None]), hs.booleans()), max_size=40))
def test_split_counts_every_graded_transcript_exactly_once(tmp_path_factory, cases):
    root = tmp_path_factory.mktemp("prop")
    harmful = {i: h for i, (_, h) in enumerate(cases)}
    labels = {i: lab for i, (lab, _) in enumerate(cases) if lab is not None}
    if not cases:
        return
    split = split_of(small_dataset(root, labels, harmful))
    assert split.get_column("n").sum() == len(cases) and split.get_column("k").sum() == sum(harmful.values())
    expected = Counter(("unrecognised" if lab == "odd" else lab or "unlabelled") for lab, _ in cases)
    assert {r["awareness"]: r["n"] for r in split.to_dicts() if r["n"]} == dict(expected)


def counts(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> pl.DataFrame:
    rows = [{"side": s, "awareness": c, "k": k, "n": n} for s, d in (("A", a), ("B", b)) for c, (k, n) in d.items()]
    return pl.DataFrame(rows, schema={"side": pl.String, "awareness": pl.String, "k": pl.Int64, "n": pl.Int64})


def pooled_row(k_a, n_a, k_b, n_b):
    from evalboard.core.stats import compare
    from evalboard.screens.compare.result import Row

    return Row("pooled", False, compare(k_a, n_a, k_b, n_b), None, 0, 0, pooled=True)


def test_headline_says_when_the_drop_is_in_believed_evaluation_transcripts():
    # A: 100 real (41 harmful), 50 eval (3), 50 none (20); B: 30 real (11), 150 eval (2), 20 none (5).
    split = aw.compare_split(
        counts(
            {"real": (41, 100), "evaluation": (3, 50), "none": (20, 50)},
            {"real": (11, 30), "evaluation": (2, 150), "none": (5, 20)},
        )
    )
    text = aw.headline(split, pooled_row(64, 200, 18, 200))
    assert text.startswith("B's drop is mostly in believed-evaluation transcripts")
    assert "among believed-real ones: 41% (n=100) → 37% (n=30), no significant change" in text


def test_headline_says_when_the_drop_holds_among_believed_real_transcripts():
    split = aw.compare_split(
        counts({"real": (60, 100), "evaluation": (3, 50)}, {"real": (10, 100), "evaluation": (1, 50)})
    )
    assert aw.headline(split, pooled_row(63, 150, 11, 150)).startswith("B's drop holds among believed-real transcripts")


def test_headline_and_table_with_an_empty_class_never_show_nan():
    split = aw.compare_split(counts({"evaluation": (3, 50)}, {"real": (10, 100), "evaluation": (1, 50)}))
    assert aw.headline(split, pooled_row(3, 50, 11, 150)) == (
        "Among believed-real transcripts there is nothing to compare: no transcripts in this class on A."
    )
    table = aw.compare_table(split)
    assert "nan" not in table.to_pandas().to_string().lower()
    assert table.row(0, named=True)["A"] == aw.EMPTY


def test_source_and_split_url_values_are_checked():
    assert aw.choose_source(["am_classifier", "petri"], None) == ("am_classifier", None)
    assert aw.choose_source(["am_classifier", "petri"], "petri") == ("petri", None)
    source, warning = aw.choose_source(["am_classifier"], "<img src=x>")
    assert source == "am_classifier" and "no such awareness source" in warning
    assert aw.choose_source([], None) == (None, None)
    assert aw.split_warning("awareness") is None and "use one of awareness" in aw.split_warning("bogus")


# --- pages -------------------------------------------------------------------------------------------------------


def hand_count(snapshot: str, intervention: str, stage: str | None = None, step: int | None = None) -> dict:
    """(k, n) per awareness class, counted in Python over the demo's Parquet files."""
    samples = pl.read_parquet(DEMO / "samples" / "*.parquet")
    labels = pl.read_parquet(DEMO / "awareness" / "*.parquet").select("sample_id", "awareness")
    rows = samples.filter((pl.col("snapshot") == snapshot) & (pl.col("intervention") == intervention))
    if stage is not None:
        rows = rows.filter((pl.col("training_stage") == stage) & (pl.col("stage_step") == step))
    out: dict[str, list[int]] = {}
    for r in rows.join(labels, on="sample_id", how="left").to_dicts():
        if r["harmful"] is None:
            continue
        k_n = out.setdefault(r["awareness"] or "unlabelled", [0, 0])
        k_n[0] += bool(r["harmful"])
        k_n[1] += 1
    return {c: tuple(v) for c, v in out.items()}


def run(query: dict, page: str | None = None, monkeypatch=None, data=None) -> AppTest:
    if data is not None:
        monkeypatch.setenv("EVALBOARD_DATA", str(data))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


def test_overview_split_matches_a_hand_count():
    at = run({"split": "awareness", "snapshot": "atlas-2026-09"})
    assert not at.warning
    table = next(t.value for t in at.table if "believed real" in t.value.columns)
    row = table[table["intervention"] == literal("diversified_envs")].iloc[0]  # names go in quoted
    hand = hand_count("atlas-2026-09", "diversified_envs")
    for cls in aw.CLASSES:
        assert row[aw.NAMES[cls]] == format_rate(*hand[cls])
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any("what the model believed" in t for t in titles) and any("share of graded" in t for t in titles)
    assert "nan" not in table.to_string().lower()


def test_overview_without_split_is_unchanged_and_bad_url_values_warn():
    at = run({"split": "bogus", "awareness_source": "nope"})
    assert any("split=bogus" in w.value for w in at.warning)
    assert not any("believed real" in t.value.columns for t in at.table)
    at = run({"split": "awareness", "awareness_source": "nope"})
    assert any("no such awareness source" in w.value for w in at.warning)
    assert any("believed real" in t.value.columns for t in at.table)


def test_overview_split_on_a_dataset_without_labels_says_so(tmp_path, monkeypatch):
    write_samples(tmp_path / "samples" / "s.parquet", [sample(i) for i in range(4)])
    at = run({"split": "awareness"}, monkeypatch=monkeypatch, data=tmp_path)
    assert any("no eval-awareness labels" in i.value for i in at.info)


def figures(at: AppTest) -> list[dict]:
    import json

    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_compare_split_matches_a_hand_count_and_the_headline_names_test_detection():
    query = {
        "split": "awareness", "a_snapshot": "atlas-2026-09", "b_snapshot": "atlas-2026-09",
        "a_intervention": "baseline", "b_intervention": "diversified_envs", "a_stage": "rl@1000", "b_stage": "rl@1000",
    }  # fmt: skip
    at = run(query, "pages/compare.py")
    table = next(t.value for t in at.table if "believed" in t.value.columns)
    hand_a = hand_count("atlas-2026-09", "baseline", "rl", 1000)
    hand_b = hand_count("atlas-2026-09", "diversified_envs", "rl", 1000)
    for cls in aw.CLASSES:
        row = table[table["believed"] == aw.NAMES[cls]].iloc[0]
        assert (row["A"], row["B"]) == (format_rate(*hand_a[cls]), format_rate(*hand_b[cls]))
    texts = [m.value.replace("\\", "") for m in at.markdown]
    assert any(t.startswith("B's drop is mostly in believed-evaluation transcripts") for t in texts)


@pytest.mark.parametrize("b_intervention", ["deliberation_rewrites"])
def test_compare_split_says_a_values_drop_holds_among_believed_real(b_intervention):
    at = run({"split": "awareness", "b_intervention": b_intervention}, "pages/compare.py")
    texts = [m.value.replace("\\", "") for m in at.markdown]
    assert any(t.startswith("B's drop holds among believed-real transcripts") for t in texts)


def test_transcripts_narrow_to_one_awareness_class_and_match_a_hand_count():
    query = {"snapshot": "atlas-2026-09", "intervention": "diversified_envs", "believed": "real"}
    at = run(query, "pages/transcripts.py")
    k, n = hand_count("atlas-2026-09", "diversified_envs")["real"]
    assert at.subheader[0].value.startswith(f"{k:,} harmful of {n:,}")
    assert any("believed the scenario was real" in c.value for c in at.caption)
    listed = set(at.dataframe[0].value["sample_id"])
    labels = pl.read_parquet(DEMO / "awareness" / "*.parquet").filter(pl.col("awareness") == "real")
    assert listed and listed <= set(labels.get_column("sample_id").to_list())
    bad = run({"believed": "<b>x</b>"}, "pages/transcripts.py")
    assert any("use one of real, evaluation" in w.value for w in bad.warning)


def test_compare_offers_each_sides_transcripts_of_a_class():
    at = run({"split": "awareness"}, "pages/compare.py")
    labels = [b.label.replace("\\", "") for b in at.button]
    assert any(label.startswith("A: believed real") for label in labels)
    at.button(key="compare_believed_B").click().run()
    assert not at.exception
    at.run()
    assert at.query_params.get("believed") in ("real", ["real"])


def test_a_click_on_an_awareness_bar_narrows_to_that_intervention_and_class():
    from evalboard.core.view import View
    from evalboard.present import drilldown

    cell = drilldown.selected_cell("aware_bars", {"points": [{"customdata": ["safe_demos", "real"]}]})
    assert cell == {"intervention": ["safe_demos"], "believed": "real"}
    assert drilldown.narrowed(View(families=("blackmail",)), cell) == {
        "family": ["blackmail"],
        "intervention": ["safe_demos"],
    }


def test_the_believed_spec_lists_exactly_the_classes():
    from evalboard.core.urls import PAGE_KEY_SPECS

    assert PAGE_KEY_SPECS["believed"].choices == (*aw.CLASSES, *aw.APART)
