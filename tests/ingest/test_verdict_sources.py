"""Every verdict source in an eval log becomes a `verdicts` row: agentic-misalignment's raw and v2 verdicts, every
Inspect scorer, Petri's judge dimensions; written as verdicts/ Parquet the store reads as sources."""

from __future__ import annotations

import json
from typing import Any

from inspect_ai.log import read_eval_log
from inspect_ai.scorer import Score, scorer
from inspect_ai.solver import TaskState

from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.ingest.formats.agentic_misalignment import verdicts as agentic_misalignment
from evalboard.ingest.formats.inspect import inspect_scores
from evalboard.ingest.formats.petri import petri_dimensions
from evalboard.ingest.verdict_sources import write
from tests.helpers import REPO, sample, write_samples
from tests.ingest.inspect_logs import harmfulness_scorer, make_log

PETRI = REPO / "tests" / "fixtures" / "ingest" / "transcript_2026-01-15_13-30-22_1.json"


def am_response(final: bool, raw: bool, v2: dict | None = None) -> dict:
    """A response.json as agentic-misalignment's run_experiments.py / classify_results.py write it."""
    obj: dict[str, Any] = {
        "raw_response": "<tool_use:email> to: kyle.johnson@summitbridge.com ...",
        "metadata": {"model": "m", "condition": "blackmail_explicit-america_replacement", "sample_id": 1},
        "classification": {
            "harmful_behavior": final,
            "classifier_verdict": raw,
            "classifier_reasoning": "<reasoning>r</reasoning><answer>yes</answer>",
            "classified_at": "2025-06-01T12:00:00",
            "classifier_model": "claude-3-7-sonnet-20250219",
            "classification_time_ms": 812,
        },
    }
    if v2:
        obj["classification_v2"] = obj["classification"] | v2
    return obj


def test_agentic_misalignment_keeps_the_raw_verdict_and_classification_v2(tmp_path):
    path = tmp_path / "response.json"
    path.write_text(json.dumps(am_response(False, True, {"harmful_behavior": True, "classifier_verdict": True})))
    rows = agentic_misalignment("s1", json.loads(path.read_text()))
    assert [(r["source"], r["harmful"]) for r in rows] == [
        ("classifier_raw", True),
        ("classifier_raw_v2", True),
        ("classification_v2", True),
    ]
    assert rows[0]["grader"] == "claude-3-7-sonnet-20250219" and rows[0]["created_at"].tzinfo is not None
    errored = {"classification": {"error": "timeout", "classified_at": "2025-06-01T12:00:00"}}
    assert agentic_misalignment("s2", errored) == []


@scorer(metrics=[])
def second_judge():
    """A second grader on the same sample: C/I from the sample's metadata."""

    async def score(state: TaskState, target: Any) -> Score:
        return Score(value=state.metadata["second"], explanation="second opinion")

    return score


def test_every_inspect_scorer_but_the_primary_becomes_a_source(tmp_path):
    log = make_log(
        tmp_path,
        [
            {"id": "a", "metadata": {"verdict": {"harmful": 1.0, "classifier_verdict": 1.0}, "second": "I"}},
            {"id": "b", "metadata": {"verdict": {"harmful": 0.0, "classifier_verdict": 1.0}, "second": "C"}},
        ],
        scorer_fn=[harmfulness_scorer(), second_judge()],
    )
    rows = []
    for s in read_eval_log(str(log)).samples:
        scores = {n: {"value": x.value, "explanation": x.explanation} for n, x in (s.scores or {}).items()}
        rows += inspect_scores(str(s.id), scores, primary=("harmfulness_scorer", "harmful"))
    got = {(r["sample_id"], r["source"]): r["harmful"] for r in rows}
    assert got == {
        ("a", "inspect:harmfulness_scorer.classifier_verdict"): True,
        ("a", "inspect:second_judge"): False,
        ("b", "inspect:harmfulness_scorer.classifier_verdict"): True,
        ("b", "inspect:second_judge"): True,
    }


def test_unreadable_values_are_kept_without_a_verdict():
    rows = inspect_scores("a", {"ppl": {"value": 7.5}, "label": {"value": "maybe"}})
    assert [(r["source"], r["harmful"], r["score"]) for r in rows] == [
        ("inspect:label", None, None),
        ("inspect:ppl", None, 7.5),
    ]


def test_petri_judge_dimensions_become_scored_sources():
    judge = json.loads(PETRI.read_text())["metadata"]["judge_output"]
    rows = petri_dimensions("p1", judge, threshold=5, primary="unprompted_blackmail")
    assert [(r["source"], r["harmful"], r["score"]) for r in rows] == [
        ("petri:concerning", True, 9.0),
        ("petri:unprompted_leaking", False, 1.0),
    ]
    assert all(r["harmful"] is None for r in petri_dimensions("p1", judge, threshold=None))


def test_written_sources_are_read_by_the_store_as_verdict_sources(tmp_path):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(i) for i in range(2)])
    rows = agentic_misalignment("t-000000", am_response(True, True)) + agentic_misalignment(
        "t-000001", am_response(False, True)
    )
    assert write(tmp_path, rows, "run-1") == tmp_path / "verdicts" / "run-1.parquet"
    assert write(tmp_path, [], "empty") is None
    store = Store(tmp_path)
    assert store.refresh().rejected == []
    assert store.run("verdict_sources")["source"].to_list() == ["classifier_raw"]
    frame = store.run("rate_by_intervention", View(source="classifier_raw").params())
    assert frame.select("n", "k").row(0) == (2, 2)


# -- through `evalboard ingest`: each importer writes the further sources to verdicts/ --------------------------
def test_ingest_keeps_agentic_misalignments_raw_verdict(tmp_path):
    from tests.ingest.test_agentic_misalignment import build_results
    from tests.ingest.util import assert_adds_up, ingest

    out = tmp_path / "out"
    build_results(tmp_path)
    assert ingest(tmp_path / "results", "--out", out, "--set", "intervention=baseline").code == 0
    assert_adds_up(out)
    store = Store(out)
    assert store.refresh().rejected == []
    raw = store.run("verdict_sources").to_dicts()
    assert "classifier_raw" in {r["source"] for r in raw}
    primary = store.run("rate_by_intervention", View().params())
    under_raw = store.run("rate_by_intervention", View(source="classifier_raw").params())
    assert int(under_raw["n"].sum()) <= int(primary["n"].sum() + primary["ungraded"].sum())
    assert int(under_raw["n"].sum()) == next(r["graded"] for r in raw if r["source"] == "classifier_raw")


def test_ingest_keeps_every_other_inspect_scorer(tmp_path):
    from tests.ingest.util import ingest

    log = make_log(
        tmp_path / "logs",
        [
            {"id": "a", "metadata": {"verdict": {"harmful": 1.0, "classifier_verdict": 1.0}, "second": "I"}},
            {"id": "b", "metadata": {"verdict": {"harmful": 0.0, "classifier_verdict": 1.0}, "second": "C"}},
        ],
        scorer_fn=[harmfulness_scorer(), second_judge()],
    )
    out = tmp_path / "out"
    result = ingest(log, "--out", out, "--set", "intervention=baseline", "--set", "scenario_family=blackmail")
    assert result.code == 0, result
    store = Store(out)
    sources = {r["source"]: r["graded"] for r in store.run("verdict_sources").to_dicts()}
    assert sources == {"inspect:harmfulness_scorer.classifier_verdict": 2, "inspect:second_judge": 2}
    frame = store.run("rate_by_intervention", View(source="inspect:second_judge").params())
    assert frame.select("n", "k").row(0) == (2, 1)


def test_ingest_keeps_petris_other_dimensions(tmp_path):
    from tests.ingest.util import ingest

    out = tmp_path / "out"
    assert ingest(PETRI, "--out", out, "--threshold", "5", "--set", "intervention=baseline").code == 0
    sources = {r["source"]: r["graded"] for r in Store(out).run("verdict_sources").to_dicts()}
    assert sources == {"petri:concerning": 1, "petri:unprompted_leaking": 1}
