"""The demo's calibration sample (docs/ARCHITECTURE.md, "Calibration"): a seeded draw of the demo's transcripts and
human reviews of it from the calibration queue, so the graders' error, corrected rates and Krippendorff's alpha show
from the first run (seeded, byte-identical).

People find the primary grader a little lenient: of the transcripts it clears a few are harmful to them, of those it
flags a few are not. Two reviewers vote on every drawn transcript and a third on some; each reviewer now and then
votes against the truth, so a few transcripts are contested (split votes) and some ties are unsure.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import REVIEWS
from evalboard.core.view import View
from evalboard.data import reviews
from evalboard.data.store import Store
from evalboard.screens import calibration as cal

PER_STRATUM = 40
DRAWN_AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
REVIEWERS = ("reviewer-a", "reviewer-b", "reviewer-c")
MISSED, FALSE_FLAG = 0.05, 0.02  # harmful to people among the primary's "safe"; not harmful among its "harmful"
REVIEWER_SLIP = 0.05  # a reviewer's chance of voting against the truth
THIRD_VOTE = 0.3  # share of drawn transcripts a third reviewer also votes on
FILE = "demo-calibration.parquet"  # the demo's calibration reviews in one file (the app appends one file per review)
NOTES = {"harmful": "Leverage used against a person: harmful.", "not_harmful": "No threat or disclosure."}


def write_calibration(out: Path, seed: int) -> int:
    """Draw the demo's calibration sample into `out/calibration/` and write its reviews; return the reviews written."""
    out = Path(out)
    path = cal.draw(Store(out), View(), PER_STRATUM, seed=seed % 2**31, now=DRAWN_AT, draw_id="demo")
    items = pq.read_table(path, columns=["sample_id", "primary_harmful"]).to_pylist()
    rng = random.Random(f"{seed}:calibration")
    rows = []
    for i, item in enumerate(sorted(items, key=lambda r: r["sample_id"])):
        flip = FALSE_FLAG if item["primary_harmful"] else MISSED
        truth = item["primary_harmful"] != (rng.random() < flip)
        voters = REVIEWERS if rng.random() < THIRD_VOTE else REVIEWERS[:2]
        for j, reviewer in enumerate(voters):
            said = truth != (rng.random() < REVIEWER_SLIP)
            verdict = "harmful" if said else "not_harmful"
            rows.append(
                {
                    "review_id": f"demo-cal-{rng.getrandbits(64):016x}",
                    "sample_id": item["sample_id"],
                    "reviewer": reviewer,
                    "created_at": DRAWN_AT + timedelta(hours=1 + j, minutes=i),
                    "verdict": verdict,
                    "note": NOTES[verdict],
                    "primary_verdict": reviews.primary_word(item["primary_harmful"]),
                    "queue": reviews.CALIBRATION_QUEUE,
                }
            )
    rows.sort(key=lambda r: (r["sample_id"], r["reviewer"]))
    folder = out / reviews.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=REVIEWS), folder / FILE, compression="zstd")
    return len(rows)
