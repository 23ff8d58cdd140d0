"""screens.compare on small Parquet datasets: the A/B table, Holm, McNemar, headline, training, stacking, CSV."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from evalboard.core import links
from evalboard.core.stats import compare, format_rate
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens.compare import export as cmp_export
from evalboard.screens.compare import frames as cmp_frames
from evalboard.screens.compare import result as cmp
from evalboard.screens.compare import stacking as cmp_stacking
from evalboard.screens.compare import text as cmp_text
from tests.helpers import sample, write_samples

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def cell(snapshot, intervention, family, k, n, stage="rl", step=100, hours=0, grader="grader-1", **extra):
    """n samples of one cell, the first k harmful; scenario × epoch keys are shared across cells (pairable)."""
    return [
        dict(
            snapshot=snapshot,
            intervention=intervention,
            scenario_family=family,
            training_stage=stage,
            stage_step=step,
            scenario=f"{family}-s{j % 5}",
            epoch=j // 5,
            harmful=j < k,
            grader=grader,
            created_at=T0 + timedelta(hours=hours),
            **extra,
        )
        for j in range(n)
    ]


def make_store(tmp_path, *cells) -> Store:
    rows = [r for c in cells for r in c]
    write_samples(tmp_path / "samples" / "part.parquet", [sample(i, **r) for i, r in enumerate(rows)])
    return Store(tmp_path)


def run(store: Store, a: cmp.Side, b: cmp.Side, held_out=(), families=(), graders=()) -> cmp.Result:
    options = cmp.Options.from_frame(store.run("compare_options"))
    params = {"families": list(families), "graders": list(graders)}
    cells = store.run("compare_cells", params | {"source": "primary"})
    view = {"families": list(families), "graders": list(graders)}
    pairs = store.run("compare_pairs", cmp.pairs_params(a, b, options, view)) if cmp.can_pair(a, b) else None
    return cmp.build(cells, a, b, options, held_out, pairs)


A = cmp.Side("s1", "baseline", "rl")
B = cmp.Side("s1", "fix", "rl")


@pytest.fixture
def two_families(tmp_path) -> Store:
    return make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 12, 50),
        cell("s1", "fix", "blackmail", 3, 50, hours=1),
        cell("s1", "baseline", "sabotage", 10, 50),
        cell("s1", "fix", "sabotage", 9, 50, hours=1),
    )


def test_options_order_checkpoints_and_default_to_baseline_vs_newest(tmp_path):
    store = make_store(
        tmp_path,
        cell("old", "baseline", "blackmail", 5, 10, hours=0),
        cell("new", "baseline", "blackmail", 5, 10, stage="sft", step=0, hours=10),
        cell("new", "baseline", "blackmail", 5, 10, step=200, hours=10),
        cell("new", "baseline", "blackmail", 5, 10, step=1000, hours=10),
        cell("new", "a_fix", "blackmail", 1, 10, step=1000, hours=12),  # newest intervention
        cell("new", "z_fix", "blackmail", 1, 10, step=1000, hours=11),
    )
    options = cmp.Options.from_frame(store.run("compare_options"))
    assert options.snapshots == ["old", "new"]
    assert [c.label for c in options.checkpoints] == ["sft", "rl@100", "rl@200", "rl@1000"]
    assert options.interventions_in("new") == ["baseline", "z_fix", "a_fix"]
    assert options.default_sides() == (cmp.Side("new", "baseline", "rl@1000"), cmp.Side("new", "a_fix", "rl@1000"))


def test_default_with_one_intervention_compares_snapshots(tmp_path):
    store = make_store(
        tmp_path, cell("old", "baseline", "blackmail", 5, 10), cell("new", "baseline", "x", 1, 10, hours=5)
    )
    options = cmp.Options.from_frame(store.run("compare_options"))
    assert options.default_sides() == (cmp.Side("old", "baseline", "rl"), cmp.Side("new", "baseline", "rl"))


def test_family_rows_match_stats_compare_with_holm_and_pooled(two_families):
    result = run(two_families, A, B, held_out=("sabotage",))
    blackmail, sabotage = result.rows  # sorted by size of change
    assert blackmail.family == "blackmail" and sabotage.label == "sabotage (held-out)"
    expected = compare(12, 50, 3, 50)
    assert blackmail.comparison.diff == pytest.approx(expected.diff)
    assert blackmail.comparison.diff_lo == pytest.approx(expected.diff_lo)
    assert blackmail.comparison.p_holm == pytest.approx(min(1.0, 2 * expected.p_value))  # Holm: the smallest p × 2
    pooled = result.pooled.comparison
    assert (pooled.a.k, pooled.a.n, pooled.b.k, pooled.b.n) == (22, 100, 12, 100)
    assert result.pooled.comparison.p_holm is None  # the pooled row is one test, not part of the family


def test_holm_can_remove_a_significance_call(tmp_path):
    # 12/50 vs 3/50 is significant alone (Fisher p≈0.023) but not once five families share the correction.
    cells = []
    for i, fam in enumerate(["f0", "f1", "f2", "f3", "f4"]):
        k_a, k_b = (12, 3) if i == 0 else (10, 10)
        cells += [cell("s1", "baseline", fam, k_a, 50), cell("s1", "fix", fam, k_b, 50, hours=1)]
    result = run(make_store(tmp_path, *cells), A, B)
    top = result.rows[0]
    assert top.family == "f0" and top.comparison.significant and not top.significant
    # Was "no significant change" beside an interval excluding 0: the contradiction the one rule removes.
    assert top.verdict() == "? inconclusive"
    assert top.test_text().startswith("inconclusive (interval excludes 0 but Holm-adjusted Fisher p=0.1")
    assert "significant in 0 of 5 families" in cmp_text.headline(result)


def test_headline_says_lowers_only_when_the_interval_supports_it(two_families):
    result = run(two_families, A, B, held_out=("sabotage",))
    text = cmp_text.headline(result)
    # Pooled 22/100 vs 12/100: the Newcombe interval includes 0, so no "lowers".
    assert result.pooled.comparison.diff_hi > 0
    assert "shows no significant change" in text and "lowers" not in text
    assert "from 22.0% (n=100) to 12.0% (n=100)" in text
    assert "Held-out family 'sabotage': no significant change (−2.0 pts [" in text


def test_clear_drop_is_called_lower_and_a_rise_a_regression(tmp_path):
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 40, 60),
        cell("s1", "fix", "blackmail", 2, 60, hours=1),
        cell("s1", "baseline", "leaking", 2, 60),
        cell("s1", "fix", "leaking", 30, 60, hours=1),
        cell("s1", "baseline", "murder", 20, 60),
        cell("s1", "fix", "murder", 1, 60, hours=1),
    )
    result = run(store, A, B)
    verdicts = {r.family: r.verdict() for r in result.rows}
    assert verdicts == {"blackmail": "▼ lower", "leaking": "▲ higher: regression", "murder": "▼ lower"}
    assert cmp_text.row_kinds(result) == ["improvement", "regression", "improvement", "pooled"]
    text = cmp_text.headline(result)
    assert "Against baseline, fix lowers the harmful-action rate" in text
    assert "(2 lower, 1 higher)" in text and "Regression: B is significantly worse than A on leaking." in text


def test_zero_counts_and_one_sided_families_never_print_nan(tmp_path):
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 0, 20),
        cell("s1", "fix", "blackmail", 0, 20, hours=1),
        cell("s1", "baseline", "only_a", 20, 20),
    )
    result = run(store, A, B)
    assert [r.family for r in result.rows] == ["blackmail", "only_a"]  # no-sample rows last
    only_a = result.rows[1]
    assert only_a.verdict() == "no samples on B"
    table = cmp_text.table(result)
    text = " ".join(str(v) for row in table.iter_rows() for v in row)
    text += cmp_text.headline(result) + cmp_export.to_csv(result, {})
    assert "nan" not in text.lower()
    assert "no samples" in text and "ratio undefined" in text


def test_empty_side_under_filters(two_families):
    result = run(two_families, A, B, families=["murder"])
    assert result.empty_sides == ["A", "B"]
    assert cmp_text.headline(result).startswith("Nothing to compare")


def test_problems_name_what_is_wrong(two_families):
    options = cmp.Options.from_frame(two_families.run("compare_options"))
    assert "A and B are the same" in cmp.problems(A, A, options)[0]
    [missing] = cmp.problems(A, cmp.Side("s1", "nope", "rl"), options)
    assert missing.startswith("B (s1 · nope · RL): snapshot s1 has no nope runs; it holds baseline, fix.")
    assert cmp.problems(A, B, options) == []


def test_problem_when_one_side_lacks_the_checkpoint(tmp_path):
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 5, 10, step=100),
        cell("s1", "baseline", "blackmail", 5, 10, step=200),
        cell("s1", "fix", "blackmail", 5, 10, step=100, hours=1),
    )
    options = cmp.Options.from_frame(store.run("compare_options"))
    [problem] = cmp.problems(cmp.Side("s1", "baseline", "rl@200"), cmp.Side("s1", "fix", "rl@200"), options)
    assert "fix in s1 was not evaluated at RL step 200; its checkpoints are RL step 100." in problem


def test_url_warnings_name_key_and_value(two_families):
    options = cmp.Options.from_frame(two_families.run("compare_options"))
    params = {"a_snapshot": ["s1"], "b_intervention": ["' OR 1=1 --"], "a_stage": ["rl@9"], "b_stage": ["x" * 500]}
    warnings = cmp.url_warnings(params, options)
    assert len(warnings) == 3
    assert any(w.startswith("Ignored ` b_intervention=' OR 1=1 -- ` from the URL") for w in warnings)
    assert any("` a_stage=rl@9 `" in w and "checkpoint" in w for w in warnings)
    assert all(len(w) < 400 for w in warnings)  # a 500-character value is cut


def test_mcnemar_pairs_on_shared_scenarios_and_epochs(two_families):
    result = run(two_families, A, B)
    assert result.paired
    blackmail = next(r for r in result.rows if r.family == "blackmail")
    # Harmful are the first k samples in the same key order: A-only = 12 − 3, B-only = 0.
    assert (blackmail.paired.pairs, blackmail.paired.a_only, blackmail.paired.b_only) == (50, 9, 0)
    assert blackmail.paired.p == pytest.approx(2 * 0.5**9)
    assert "paired test" in cmp_text.table(result).columns


def test_no_paired_test_across_snapshots_or_with_duplicate_keys(tmp_path):
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 12, 50),
        cell("s2", "fix", "blackmail", 3, 50, hours=1),
        cell("s1", "fix", "blackmail", 3, 50, hours=1),
        cell("s1", "fix", "blackmail", 3, 50, hours=1, grader="grader-2"),
    )
    across = run(store, A, cmp.Side("s2", "fix", "rl"))
    assert not across.paired and "different snapshots" in across.paired_note
    assert "paired test" not in cmp_text.table(across).columns
    duplicated = run(store, A, B)
    assert not duplicated.paired and "more than once" in duplicated.paired_note
    assert run(store, A, B, graders=["grader-1"]).paired  # one grader: pairs again


def test_training_series_gaps_and_summary(tmp_path):
    cells = []
    for step, (k_a, k_b) in {0: (20, 20), 500: (30, 10), 1000: (40, 5)}.items():
        cells += [
            cell("s1", "baseline", "bm", k_a, 60, step=step),
            cell("s1", "fix", "bm", k_b, 60, step=step, hours=1),
        ]
    store = make_store(tmp_path, *cells)
    frame = store.run("compare_cells", {"families": [], "graders": [], "source": "primary"})
    a, b = cmp.Side("s1", "baseline", "rl@1000"), cmp.Side("s1", "fix", "rl@1000")
    series = cmp_frames.training_series(frame, a, b)
    assert set(series.get_column("intervention")) == {"A: baseline", "B: fix"} and series.height == 6
    gaps = cmp.training_gaps(frame, a, b)
    assert gaps.get_column("checkpoint").to_list() == ["rl@0", "rl@500", "rl@1000"]
    assert gaps.get_column("significant").to_list() == [False, True, True]
    summary = cmp_text.training_summary(gaps)
    assert "lower than A at 2 and higher at 0 of 3 checkpoints" in summary
    assert "lasts to the final checkpoint" in summary


def test_stacking_prefers_the_snapshot_with_the_parts(tmp_path):
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "bm", 30, 60),
        cell("s1", "harm", "bm", 20, 60, hours=1),
        cell("s1", "story+harm", "bm", 5, 60, hours=2),
        cell("s2", "baseline", "bm", 30, 60, hours=5),
        cell("s2", "story+harm", "bm", 5, 60, hours=6),
    )
    result = run(store, cmp.Side("s2", "baseline", "rl"), cmp.Side("s2", "story+harm", "rl"))
    options = cmp.Options.from_frame(store.run("compare_options"))
    frame = store.run("compare_cells", {"families": [], "graders": [], "source": "primary"})
    [stack], note = cmp_stacking.stacks(frame, result, options)
    assert stack.snapshot == "s1" and "B's snapshot s2 holds fewer" in note
    assert set(stack.rates.get_column("intervention")) == {"baseline", "harm", "story+harm"}
    assert stack.missing == ("story",)
    assert any(n.startswith("story alone was not run in s1") for n in stack.notes)
    assert any(n.startswith("story+harm against harm alone: lower") for n in stack.notes)


def test_no_stacking_without_combinations(two_families):
    result = run(two_families, A, B)
    options = cmp.Options.from_frame(two_families.run("compare_options"))
    stacks, note = cmp_stacking.stacks(
        two_families.run("compare_cells", {"families": [], "graders": [], "source": "primary"}), result, options
    )
    assert stacks == [] and "No snapshot holds a combined intervention" in note


def test_csv_has_filters_in_header_and_numeric_columns(two_families):
    result = run(two_families, A, B, families=["blackmail", "sabotage"])
    text = cmp_export.to_csv(result, {"family": ["blackmail", "sabotage"], "grader": []}, "/data/x")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert "# A: s1 · baseline · rl" in header and "# filters: family=blackmail,sabotage" in header
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    assert [r["family"] for r in rows] == ["blackmail", "sabotage", cmp.POOLED]
    assert float(rows[0]["a_rate"]) == pytest.approx(0.24) and int(rows[0]["b_n"]) == 50
    assert math.isfinite(float(rows[0]["diff_lo"])) and rows[2]["fisher_p_holm"] == ""
    assert rows[0]["mcnemar_pairs"] == "50"


def test_links_carry_the_exact_view():
    options = cmp.Options.from_frame(
        pl.DataFrame(
            {
                "snapshot": ["s1"] * 2,
                "intervention": ["baseline", "fix"],
                "training_stage": ["rl", "rl"],
                "stage_step": [100, 100],
                "stage_rank": [2, 2],
                "n": [1, 1],
                "last_created": [T0, T0],
            }
        )
    )
    params = cmp_export.transcript_params(A, options, "blackmail", {"family": ["x"], "grader": ["g"]})
    assert params == {
        "snapshot": "s1",
        "intervention": "baseline",
        "stage": "rl",
        "step": "100",
        "family": ["blackmail"],
        "grader": ["g"],
    }
    assert cmp_export.transcript_params(B, options, None, {"family": ["x"]})["family"] == ["x"]
    state = {"split": "awareness", **cmp_export.url_params(A, B)}
    link = links.share("http://h:1/compare?old=1", "compare", View(families=("a", "b")), state)
    assert link == (
        "http://h:1/compare?family=a&family=b&split=awareness&a_snapshot=s1&a_intervention=baseline&a_stage=rl"
        "&b_snapshot=s1&b_intervention=fix&b_stage=rl"
    )


@pytest.mark.parametrize("held_out", [(), ("sabotage",)])
def test_table_csv_and_forest_render_the_same_rows(tmp_path, held_out):
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 12, 50),
        cell("s1", "fix", "blackmail", 3, 50, hours=1),
        cell("s1", "baseline", "sabotage", 10, 50),
        cell("s1", "fix", "sabotage", 9, 50, hours=1),
        cell("s1", "baseline", "leaking", 0, 20),
        cell("s1", "fix", "murder", 4, 20, hours=1),  # one side only: "no samples on A"
    )
    result = run(store, A, B, held_out=held_out)
    table = cmp_text.table(result).to_dicts()
    text = cmp_export.to_csv(result, {})
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    assert len(table) == len(rows) == len(result.rows) + 1
    for shown, written, domain in zip(table, rows, [*result.rows, result.pooled], strict=True):
        c = domain.comparison
        assert shown["family"] == domain.label and written["family"] == domain.family
        assert written["held_out"] == str(domain.family in held_out and not domain.pooled)
        assert shown["verdict"] == written["verdict"] and written["call"] == domain.call.value
        assert (int(written["a_k"]), int(written["a_n"]), int(written["b_k"]), int(written["b_n"])) == (
            c.a.k, c.a.n, c.b.k, c.b.n
        )  # fmt: skip
        _, a_col, b_col, *_ = shown  # family, A's rate, B's rate, …
        assert (shown[a_col], shown[b_col]) == (format_rate(c.a.k, c.a.n), format_rate(c.b.k, c.b.n))
    forest = cmp_frames.diffs_frame(result).to_dicts()
    with_samples = [(t, r) for t, r in zip(table, rows, strict=True) if r["diff"] != ""]
    assert [(f["family"], f["verdict"]) for f in forest] == [(t["family"], t["verdict"]) for t, _ in with_samples]


def test_the_pages_table_is_the_table_rows_with_their_marks(tmp_path):
    """The page shows `grid`: `table`'s family, verdict, rates and change (one line per `table_rows` row); `details`
    says the rest of each row."""
    store = make_store(
        tmp_path,
        cell("s1", "baseline", "blackmail", 40, 60),
        cell("s1", "fix", "blackmail", 2, 60, hours=1),
        cell("s1", "baseline", "leaking", 2, 60),
        cell("s1", "fix", "leaking", 30, 60, hours=1),
    )
    result = run(store, A, B)
    full, shown = cmp_text.table(result), cmp_text.grid(result)
    assert shown.columns == list(cmp_text.GRID_COLUMNS)
    assert shown.select("family", "verdict", "B − A").equals(full.select("family", "verdict", "B − A"))
    assert shown.get_column("verdict").to_list() == ["▼ lower", "▲ higher: regression", "no significant change"]
    rows = cmp_text.table_rows(result)
    assert cmp_text.details(result) == [f"{r.label}: A/B {r.ratio}; {r.test}; paired: {r.paired}" for r in rows]


def test_csv_names_from_the_data_stay_text_and_header_lines_stay_comments(two_families):
    result = run(two_families, A, B)
    text = cmp_export.to_csv(result, {"family": ['=HYPERLINK("http://127.0.0.2")', "x\nevil,row"]})
    assert '# filters: family==HYPERLINK("http://127.0.0.2"),x\\nevil,row' in text.splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    assert [r["family"] for r in rows] == ["blackmail", "sabotage", cmp.POOLED]
    assert all(float(r["diff"]) == pytest.approx(float(r["b_rate"]) - float(r["a_rate"]), abs=1e-5) for r in rows)
