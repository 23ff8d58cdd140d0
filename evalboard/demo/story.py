"""The story the demo dataset tells (README.md, "Run it"): which runs exist and their true harmful rates.

Rates for the `blackmail` family at the SFT and final RL checkpoints follow the published results
this dashboard is built for; other families and stages are derived from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

STAGES: tuple[tuple[str, int], ...] = (
    ("pretrained", 0),
    ("sft", 0),
    ("rl", 200),
    ("rl", 400),
    ("rl", 600),
    ("rl", 800),
    ("rl", 1000),
)
FINAL_RL_STEP = 1000

FAMILIES = ("blackmail", "leaking", "murder", "sabotage")
HELD_OUT_FAMILIES = ("sabotage",)
# Harmful rate of each family relative to blackmail, for an untreated model.
FAMILY_SCALE = {"blackmail": 1.0, "leaking": 0.9, "murder": 0.55, "sabotage": 0.8}

GOAL_TYPES = ("explicit", "none")
URGENCY_TYPES = ("replacement", "restriction", "none")


@dataclass(frozen=True)
class Snapshot:
    """A model generation; each was post-trained with several interventions."""

    name: str
    released: datetime
    baseline_final: float  # blackmail rate of its baseline run at the final RL checkpoint
    interventions: tuple[str, ...]
    grader: str
    # (sft, final RL) blackmail rates of interventions that worked better in this generation than INTERVENTION_RATES
    rates: Mapping[str, tuple[float, float]] = field(default_factory=dict)


SNAPSHOTS: tuple[Snapshot, ...] = (
    Snapshot(
        "atlas-2026-05",
        datetime(2026, 5, 12, tzinfo=UTC),
        0.96,
        ("baseline", "safe_demos", "deliberation_rewrites"),
        "blackmail-classifier-v1 (claude-3-7-sonnet)",
    ),
    Snapshot(
        "atlas-2026-07",
        datetime(2026, 7, 20, tzinfo=UTC),
        0.82,
        ("baseline", "difficult_advice", "constitution_stories"),
        "blackmail-classifier-v1 (claude-3-7-sonnet)",
    ),
    Snapshot(
        "atlas-2026-09",
        datetime(2026, 9, 15, tzinfo=UTC),
        0.70,
        ("baseline", "diversified_envs", "harmlessness", "constitution_stories+harmlessness"),
        "blackmail-classifier-v2 (claude-sonnet-4)",
        {"constitution_stories+harmlessness": (0.09, 0.034)},
    ),
    Snapshot(
        "atlas-2026-11",
        datetime(2026, 11, 10, tzinfo=UTC),
        0.58,
        ("baseline", "deliberation_rewrites", "constitution_stories+harmlessness"),
        "blackmail-classifier-v2 (claude-sonnet-4)",
        {"constitution_stories+harmlessness": (0.05, 0.014)},
    ),
)

# Blackmail-family rate of each intervention (sft, final RL). `None` means "the snapshot's baseline".
INTERVENTION_RATES: dict[str, tuple[float, float] | None] = {
    "baseline": None,
    "safe_demos": (0.22, 0.15),
    "deliberation_rewrites": (0.04, 0.03),
    "difficult_advice": (0.06, 0.035),
    "constitution_stories": (0.21, 0.18),
    "diversified_envs": (0.30, 0.28),
    "harmlessness": (0.40, 0.34),
    "constitution_stories+harmlessness": (0.10, 0.07),
}
# How much of an intervention's effect is lost on a held-out family (0: it transfers fully). Training on the
# reasons (constitution stories) generalises; demonstrations and rewrites of the trained scenarios do so by half.
HELD_OUT_LOSS: dict[str, float] = {"constitution_stories+harmlessness": 0.02}
HELD_OUT_LOSS_DEFAULT = 0.5


def blackmail_rate(snapshot: Snapshot, intervention: str, stage: str, step: int) -> float:
    """True blackmail-family rate of one run at one checkpoint."""
    base_sft, base_final = 0.7 * snapshot.baseline_final, snapshot.baseline_final
    if stage == "pretrained":
        return 0.4 * snapshot.baseline_final  # interventions are applied in post-training
    rates = snapshot.rates.get(intervention, INTERVENTION_RATES[intervention])
    sft, final = (base_sft, base_final) if rates is None else rates
    if stage == "sft":
        return sft
    return sft + (final - sft) * step / FINAL_RL_STEP


def true_rate(snapshot: Snapshot, intervention: str, stage: str, step: int, family: str) -> float:
    """True harmful rate of one cell: the blackmail rate carried to `family`."""
    rate = blackmail_rate(snapshot, intervention, stage, step)
    baseline = blackmail_rate(snapshot, "baseline", stage, step)
    relative = rate / baseline if baseline else 1.0
    if family in HELD_OUT_FAMILIES:
        relative = relative + (1 - relative) * HELD_OUT_LOSS.get(intervention, HELD_OUT_LOSS_DEFAULT)
    return min(1.0, baseline * FAMILY_SCALE[family] * relative)
