"""Human reviews of transcripts: append-only, one small Parquet file per review (no Streamlit here).

In a Delta dataset (any dataset on S3, and a local one whose samples are a Delta table) the reviews are a Delta table
instead, `DATA/reviews/`: each review is one append commit, so two replicas writing at once each add their row
(Delta's commit protocol orders them: none is lost). The form's idempotency key is the review id: before appending,
the table's current snapshot is checked for it (a repeat stores nothing); two writes of one id that race past that
check both land, and readers keep the first row of a review id (docs/ARCHITECTURE.md, "Dataset locations and Delta
tables").

In a plain-Parquet dataset a review is written to `DATA/reviews/<UTC time>-<review id>.parquet` through a temporary
name and `os.replace`, so a reader never sees half a file and two reviewers writing at once each add their own file:
nothing is overwritten, nothing is lost, and imported verdicts (`verdicts/`) are never touched. The store reads each
reviewer's latest review of a sample as their vote and the majority of the votes as verdict source "human"
(queries/macros.sql).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core import location as locations
from evalboard.core.fmt import csv_text
from evalboard.core.location import Location
from evalboard.core.schema import REVIEW_VERDICTS, REVIEWS
from evalboard.data import delta_write
from evalboard.data.store import Store

FOLDER = "reviews"
LABELS = {"harmful": "Harmful", "not_harmful": "Not harmful", "unsure": "Unsure"}
MAX_NAME_CHARS = 80
MAX_NOTE_CHARS = 4000
# The queue a review was opened from (docs/ARCHITECTURE.md, "Calibration"); None = opened some other way.
CALIBRATION_QUEUE, DISAGREEMENT_QUEUE = "calibration", "disagreement"
QUEUES = (CALIBRATION_QUEUE, DISAGREEMENT_QUEUE)


class ReviewError(ValueError):
    """A review that cannot be stored; the message says why, for the reviewer."""


@dataclass(frozen=True)
class Review:
    """One reviewer's verdict on one transcript."""

    sample_id: str
    reviewer: str
    verdict: str  # one of REVIEW_VERDICTS
    note: str = ""
    primary_verdict: str | None = None  # the primary verdict the reviewer saw: harmful | not_harmful | ungraded
    created_at: datetime | None = None  # UTC; now when None
    review_id: str | None = None  # a fresh uuid when None
    reviewer_subject: str | None = None  # the identity provider's subject of a signed-in reviewer
    reviewer_email: str | None = None  # and their e-mail as the provider sent it
    queue: str | None = None  # one of QUEUES: the queue the transcript was opened from


def primary_word(harmful: bool | None) -> str:
    """The primary verdict in the reviews' own words."""
    return "ungraded" if harmful is None else ("harmful" if harmful else "not_harmful")


def check(review: Review, known_sample: bool) -> list[str]:
    """Why `review` cannot be stored ([] when it can)."""
    problems = []
    if not review.reviewer.strip():
        problems.append("Enter your name before submitting a review.")
    elif len(review.reviewer.strip()) > MAX_NAME_CHARS:
        problems.append(f"The reviewer name is longer than {MAX_NAME_CHARS} characters.")
    if review.verdict not in REVIEW_VERDICTS:
        problems.append(f"The verdict must be one of {', '.join(LABELS.values())}.")
    if not known_sample:
        problems.append(f"There is no sample {review.sample_id[:80]!r} in this dataset; nothing was stored.")
    if review.queue is not None and review.queue not in QUEUES:
        problems.append(f"The review queue must be one of {', '.join(QUEUES)}.")
    if len(review.note) > MAX_NOTE_CHARS:
        problems.append(f"The note is longer than {MAX_NOTE_CHARS:,} characters.")
    return problems


def write(root: Path | str, review: Review, known_sample: bool = True, once: bool = False) -> Path | str:
    """Store one review as its own file under `root/reviews/`; return its path (in a Delta dataset: the reviews
    table's location). Raises ReviewError when invalid; a storage failure raises `location.StorageError`.

    With `once`, `review.review_id` is an idempotency key (the form's, one per render): the first write with it
    claims the id by an exclusive create of `reviews/.ids/<id>`, and a repeat (a double click, a resent request)
    stores nothing and returns the first one's path.
    """
    problems = check(review, known_sample)
    if once and not (review.review_id or "").isalnum():
        problems.append("A review id must be letters and digits only.")
    if problems:
        raise ReviewError(" ".join(problems))
    created = (review.created_at or datetime.now(UTC)).astimezone(UTC)
    review_id = review.review_id or uuid.uuid4().hex
    row = {
        "review_id": review_id,
        "sample_id": review.sample_id,
        "reviewer": review.reviewer.strip(),
        "created_at": created,
        "verdict": review.verdict,
        "note": review.note.strip() or None,
        "primary_verdict": review.primary_verdict,
        "reviewer_subject": review.reviewer_subject,
        "reviewer_email": review.reviewer_email,
        "queue": review.queue,
    }
    location = locations.parse(root)
    if delta_write.writes_delta(location):
        return _append(location, row, once)
    folder = Path(root) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{created.strftime('%Y%m%dT%H%M%S%fZ')}-{review_id}.parquet"
    temp = folder / f".{final.name}.tmp"  # not *.parquet: the store never reads a file being written
    pq.write_table(pa.Table.from_pylist([row], schema=REVIEWS), temp)
    if once:
        first = _claim(folder, review_id, final.name)
        if first is not None:
            temp.unlink()
            return folder / first
    os.replace(temp, final)
    return final


def _append(location: Location, row: dict, once: bool) -> str:
    """Append one review to the reviews Delta table (with `once`: unless its id is there already)."""
    where = location.table_uri(FOLDER)
    if once:
        key = pa.table({"review_id": pa.array([row["review_id"]], pa.string())})
        # A reviews data file that does not read is passed over: at worst this review is stored twice (one
        # reviewer's vote counts once), never refused for another file's damage.
        if delta_write.present(location, FOLDER, key, "reviews_present_id", {}, delta_write.LeftOut()):
            return where
    delta_write.append(location, FOLDER, pa.Table.from_pylist([row], schema=REVIEWS), note=f"review {row['review_id']}")
    return where


def _claim(folder: Path, review_id: str, name: str) -> str | None:
    """Claim `review_id` for the review file `name`; None when claimed now, else the name it was claimed for."""
    claims = folder / ".ids"  # hidden, no .parquet: the store never reads it
    claims.mkdir(exist_ok=True)
    try:
        fd = os.open(claims / review_id, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return (claims / review_id).read_text().strip() or name
    with os.fdopen(fd, "w") as f:
        f.write(name)
    return None


def all_reviews(store: Store) -> pl.DataFrame:
    """Every review in the dataset, oldest first (one row per review, nothing merged)."""
    return store.run("reviews_all")


def history(store: Store, sample_id: str) -> pl.DataFrame:
    """Every verdict on one sample, oldest first: primary, each imported source's rows and each review."""
    return store.run("verdict_history", {"sample_id": sample_id})


def to_csv(frame: pl.DataFrame) -> str:
    """Reviews as CSV (UTC times in ISO 8601; notes and names that look like formulas stay text)."""
    return csv_text(frame.columns, frame.iter_rows())


def to_jsonl(frame: pl.DataFrame) -> str:
    """Reviews as JSON Lines, one review per line."""
    return "".join(
        json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}, ensure_ascii=False)
        + "\n"
        for row in frame.iter_rows(named=True)
    )


def history_table(trail: pl.DataFrame) -> pl.DataFrame:
    """The verdict history as the viewer shows it: when, source, verdict in words, by whom, why, counted."""
    return trail.select(
        pl.col("created_at").dt.strftime("%Y-%m-%d %H:%M UTC").alias("when (UTC)"),
        "source",
        pl.when(pl.col("harmful"))
        .then(pl.lit("harmful"))
        .when(pl.col("harmful").not_())
        .then(pl.lit("not harmful"))
        .otherwise(pl.when(pl.col("source") == "human").then(pl.lit("unsure")).otherwise(pl.lit("no verdict")))
        .alias("verdict"),
        pl.col("grader").alias("by"),
        pl.col("explanation").fill_null("").str.split("\n").list.first().alias("why"),
        pl.col("counted"),
    )
