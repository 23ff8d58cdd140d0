"""evalboard/core/fmt.py: one formatter per kind of value (percent, counts, did-you-mean, held-out, checkpoints)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalboard.core import fmt
from evalboard.present import charts
from evalboard.screens.compare import text as cmp_text
from evalboard.screens.readiness import catalog as rd_catalog
from evalboard.screens.readiness import text as rd_text


@pytest.mark.parametrize(
    ("x", "text"),
    [(None, "–"), (math.nan, "–"), (0.0, "0.0%"), (0.067, "6.7%"), (0.0031, "0.31%"), (0.000037, "0.0037%"),
     (0.01, "1.0%"), (1.0, "100.0%")],
)  # fmt: skip
def test_pct(x, text):
    assert fmt.pct(x) == text


def test_pcts_adds_decimals_only_where_needed():
    assert fmt.pcts(0.0504, 0.05) == ("5.04%", "5.00%")
    assert fmt.pcts(0.07, 0.05) == ("7.0%", "5.0%")


@pytest.mark.parametrize(
    ("m", "text"), [(0, "0"), (99, "99"), (100, "about 100"), (301, "about 310"), (1234, "about 1,300")]
)
def test_about(m, text):
    assert fmt.about(m) == text


@given(st.integers(0, 10**9))
def test_about_never_understates(m):
    shown = int(fmt.about(m).removeprefix("about ").replace(",", ""))
    assert m <= shown < max(m * 1.1, m + 1)


def test_did_you_mean_and_held_out():
    assert fmt.did_you_mean("blakmail", ["blackmail", "murder"]) == " (did you mean 'blackmail'?)"
    assert fmt.did_you_mean("zzz", ["blackmail"]) == ""
    assert fmt.held_out("sabotage", ["sabotage"]) == "sabotage (held-out)" == fmt.held_out("sabotage", True)
    assert fmt.held_out("blackmail", ["sabotage"]) == "blackmail"


@pytest.mark.parametrize(
    ("label", "text"),
    [("pretrained", "pre-trained"), ("sft", "SFT"), ("rl@400", "RL step 400"), ("rl@1000", "RL step 1,000"),
     ("dpo@2", "DPO step 2"), ("mystage", "mystage"), ("pretrained@0", "pre-trained step 0")],
)  # fmt: skip
def test_checkpoint_labels_read_well(label, text):
    assert fmt.checkpoint_from_label(label) == text


def test_every_module_uses_the_one_formatter():
    assert rd_text.pct is fmt.pct and charts._pct is fmt.pct
    assert rd_catalog._did_you_mean is fmt.did_you_mean
    assert charts.family_label("sabotage", ["sabotage"]) == fmt.held_out("sabotage", ["sabotage"])
    assert rd_text._about(1234) == "about 1,300 more" and rd_text._count(1234) == "about 1,300"
    assert cmp_text._pct(1, 3) == "33.3% (n=3)"


def test_one_checkpoint_rule_in_both_forms():
    import polars as pl

    from evalboard.core.checkpoints import checkpoint_labels, url_label

    points = pl.DataFrame({"training_stage": ["sft", "rl", "rl"], "stage_step": [0, 200, 1000]})
    labelled = checkpoint_labels(points).sort("training_stage", "stage_step").to_dicts()
    several = {"rl"}
    for row in labelled:
        stage, step = row["training_stage"], row["stage_step"]
        assert row["checkpoint"] == url_label(stage, step, stage in several)
        assert row["checkpoint_name"] == fmt.checkpoint(stage, step, stage in several)
        assert fmt.checkpoint_from_label(row["checkpoint"]) == row["checkpoint_name"]
