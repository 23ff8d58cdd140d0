"""The Overview's notes: which interventions lean on one checkpoint, the default snapshot, the empty states."""

from __future__ import annotations

import polars as pl

from evalboard.screens import overview


def _by_stage(rows: list[tuple[str, str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["intervention", "training_stage", "stage_step", "n"], orient="row")


def test_a_release_evaluation_at_one_checkpoint_is_called_out():
    frame = _by_stage(
        [("a", "sft", 0, 60), ("a", "rl", 500, 60), ("a", "rl", 1000, 560), ("b", "sft", 0, 60), ("b", "rl", 500, 60),
         ("b", "rl", 1000, 60)]
    )  # fmt: skip
    note = overview.heavy_checkpoints(frame)
    assert note is not None and "a at RL step 1,000 (560 of its 680 graded samples)" in note and "b at" not in note


def test_even_checkpoints_need_no_note():
    frame = _by_stage([("a", "sft", 0, 60), ("a", "rl", 500, 100), ("a", "rl", 1000, 110)])
    assert overview.heavy_checkpoints(frame) is None
    assert overview.heavy_checkpoints(frame.head(0)) is None


def test_no_rates_message_says_why():
    assert (
        overview.no_rates_message(False, 40)
        == "All 40 transcripts are ungraded; rates need verdicts — see Data health."
    )
    assert (
        overview.no_rates_message(False, 1) == "The only transcript is ungraded; rates need verdicts — see Data health."
    )
    assert "Clear a filter" in overview.no_rates_message(True, 0)
    assert "all 3 that match are ungraded" in overview.no_rates_message(True, 3)
    assert "Clear a filter" not in overview.no_rates_message(False, 5)


def test_newest_snapshot_note():
    snaps = ["a", "b", "c"]  # oldest first
    assert overview.newest_snapshot_note(("c",), snaps) == "Showing snapshot c, the newest of 3"
    assert overview.newest_snapshot_note(("b",), snaps) is None
    assert overview.newest_snapshot_note((), snaps) is None
    assert overview.newest_snapshot_note(("a",), ["a"]) is None


def test_compare_blames_filters_only_when_one_is_set():
    assert "Clear a sidebar filter" in overview.empty_sides_message(["A"], True)
    message = overview.empty_sides_message(["A", "B"], False)
    assert message.startswith("A and B have no graded samples: their transcripts have no verdict yet")
    assert "Clear" not in message
