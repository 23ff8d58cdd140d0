"""The Overview's notes: which interventions lean on one checkpoint, the default snapshot, the empty states."""

from __future__ import annotations

import polars as pl

from evalboard import overview


def _by_stage(rows: list[tuple[str, str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["intervention", "training_stage", "stage_step", "n"], orient="row")


def test_a_release_evaluation_at_one_checkpoint_is_called_out():
    frame = _by_stage(
        [("a", "sft", 0, 60), ("a", "rl", 500, 60), ("a", "rl", 1000, 560), ("b", "sft", 0, 60), ("b", "rl", 500, 60),
         ("b", "rl", 1000, 60)]
    )  # fmt: skip
    note = overview.heavy_checkpoints(frame)
    assert note is not None and "a at rl@1000 (560 of its 680 graded samples)" in note and "b at" not in note


def test_even_checkpoints_need_no_note():
    frame = _by_stage([("a", "sft", 0, 60), ("a", "rl", 500, 100), ("a", "rl", 1000, 110)])
    assert overview.heavy_checkpoints(frame) is None
    assert overview.heavy_checkpoints(frame.head(0)) is None
