"""Which scenario conditions the demo's harmful verdicts fall under: urgency decides, the goal matters a little.

agentic-misalignment finds blackmail mostly where the model faces replacement, less under a mere restriction, and
rarely with no threat at all; an explicit goal adds to it. The generator first draws each cell's verdicts (so every
cell's rate, and the random stream after it, stay as they were) and then pairs the harmful ones with scenarios by
these weights: a weighted draw without replacement (Efraimidis–Spirakis keys) from the cell's (scenario, epoch)
slots, with a random stream of its own.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

# Relative odds that a harmful verdict falls under each condition (README.md, "The pages": Drivers).
URGENCY_WEIGHT = {"replacement": 1.0, "restriction": 0.4, "none": 0.08}
GOAL_WEIGHT = {"explicit": 1.0, "none": 0.7}


def weight(goal: str, urgency: str) -> float:
    return URGENCY_WEIGHT[urgency] * GOAL_WEIGHT[goal]


def pair(verdicts: Sequence[bool], slots: Sequence[tuple], rng: random.Random) -> list[tuple]:
    """The slot (goal, value, urgency, …) of each verdict, in the verdicts' order: every slot used once, the harmful
    verdicts' slots drawn by `weight`, the others shuffled."""
    keys = [rng.random() ** (1 / weight(slot[0], slot[2])) for slot in slots]
    order = sorted(range(len(slots)), key=keys.__getitem__, reverse=True)
    harmful = sum(verdicts)
    chosen, rest = order[:harmful], order[harmful:]
    rng.shuffle(chosen)
    rng.shuffle(rest)
    out, h, s = [], iter(chosen), iter(rest)
    for verdict in verdicts:
        out.append(slots[next(h) if verdict else next(s)])
    return out
