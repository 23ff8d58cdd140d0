"""The canonical dataset schemas (docs/ARCHITECTURE.md) and a validator that names file, column and problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

TOOL_CALL = pa.struct([("id", pa.string()), ("function", pa.string()), ("arguments", pa.string())])

MESSAGE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(TOOL_CALL)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
        # The model's reasoning/thinking for this message, kept apart from the text it sent (NULL: none).
        ("reasoning", pa.string()),
    ]
)

SAMPLES = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string()),
        pa.field("snapshot", pa.string(), nullable=False),
        pa.field("intervention", pa.string(), nullable=False),
        pa.field("training_stage", pa.string(), nullable=False),
        pa.field("stage_step", pa.int64(), nullable=False),
        pa.field("scenario_family", pa.string(), nullable=False),
        pa.field("scenario", pa.string()),
        pa.field("conditions", pa.map_(pa.string(), pa.string())),
        pa.field("epoch", pa.int32()),
        pa.field("grader", pa.string()),
        pa.field("harmful", pa.bool_()),
        pa.field("classifier_verdict", pa.bool_()),
        pa.field("score", pa.float64()),
        pa.field("explanation", pa.string()),
        pa.field("error", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("source", pa.string()),
    ]
)

TRANSCRIPTS = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("messages", pa.list_(MESSAGE)),
    ]
)

# Further verdicts on a transcript, one row per (sample_id, source): a second grader, the raw classifier
# verdict, human reviews. The primary verdict stays in samples.harmful (source "primary"); rates count each
# transcript once under one chosen source (docs/ARCHITECTURE.md, "Verdict sources").
VERDICTS = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # e.g. "classifier_raw", "grader:gpt-4o", "human"
        pa.field("harmful", pa.bool_()),  # NULL: this source gave no verdict (unsure, error)
        pa.field("score", pa.float64()),
        pa.field("explanation", pa.string()),
        pa.field("grader", pa.string()),  # the model or person behind the verdict
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
    ]
)

# Human reviews written by the transcript viewer, one file per review, append-only (data/reviews.py). The store
# reads the majority of the reviewers' latest reviews per sample as verdict source "human" (queries/macros.sql);
# "unsure" or a tie is no verdict.
REVIEW_VERDICTS = ("harmful", "not_harmful", "unsure")
REVIEWS = pa.schema(
    [
        pa.field("review_id", pa.string(), nullable=False),
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("reviewer", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("verdict", pa.string(), nullable=False),  # one of REVIEW_VERDICTS
        pa.field("note", pa.string()),
        # The primary verdict the reviewer saw ("harmful" | "not_harmful" | "ungraded"): what a review disagrees with.
        pa.field("primary_verdict", pa.string()),
        # A signed-in reviewer's identity from the identity provider (NULL for a typed name): subject and e-mail.
        pa.field("reviewer_subject", pa.string()),
        pa.field("reviewer_email", pa.string()),
        # Which queue the transcript was opened from: "calibration" (a random sample), "disagreement" (graders
        # disagree), or NULL (opened otherwise; files written before this column read as NULL).
        pa.field("queue", pa.string()),
    ]
)

# Calibration samples drawn for human review (screens/calibration.py), one file per draw: each drawn transcript
# with its stratum (scenario family × primary verdict), the stratum's size in the view it was drawn from and how
# many were drawn from it, so estimates can be weighted by the design. The newest draw is the one in force.
CALIBRATION = pa.schema(
    [
        pa.field("draw_id", pa.string(), nullable=False),
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("scenario_family", pa.string()),
        pa.field("primary_harmful", pa.bool_()),
        pa.field("stratum", pa.string(), nullable=False),
        pa.field("stratum_size", pa.int64(), nullable=False),  # N_h: graded transcripts of the stratum in the view
        pa.field("drawn", pa.int64(), nullable=False),  # n_h: drawn from it
        pa.field("probability", pa.float64()),  # n_h / N_h, the inclusion probability
        pa.field("draw_rank", pa.int64()),  # order within the stratum (the seeded random order)
        pa.field("seed", pa.int64()),
        pa.field("view", pa.string()),  # the view's filters it was drawn from, as a query string
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
    ]
)

# Eval-awareness labels, one row per (sample_id, source): did the model say it believed the scenario was real, an
# evaluation, or make no statement. The classes in the order every page shows them; the two kept apart from them:
# a value outside these (kept by ingest with its reason) and, in the queries, no label from the chosen source. The
# queries read them through macros made from these (data/views.py `schema_macros`).
AWARENESS_LABELS = ("real", "evaluation", "none")
UNRECOGNISED = "unrecognised"
UNLABELLED = "unlabelled"
AWARENESS_APART = (UNLABELLED, UNRECOGNISED)
EVIDENCE_SEPARATOR = " … "  # in `evidence`, between the quoted passages of one label (the viewer marks each apart)
# Said in a Petri label's explanation when its evidence is a keyword pick, not a highlight the judge cited for it.
LIKELY_NOTE = "passage likely relevant: picked by keyword among the judge's highlights, not cited for this score"
AWARENESS = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # e.g. "am_classifier", "petri", "scout"
        pa.field("awareness", pa.string(), nullable=False),  # one of AWARENESS_LABELS
        pa.field("score", pa.float64()),  # the raw score where the source has a scale (Petri 1–10)
        pa.field("evidence", pa.string()),  # the passage the labeller quoted, if any
        pa.field("explanation", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
    ]
)

# Columns every samples file must carry; the rest may be absent and read as NULL.
REQUIRED_SAMPLE_COLUMNS = (
    "sample_id",
    "snapshot",
    "intervention",
    "training_stage",
    "stage_step",
    "scenario_family",
    "harmful",
)
REQUIRED_TRANSCRIPT_COLUMNS = ("sample_id", "messages")

# table name → schema; each table is a folder of Parquet files in a dataset (samples/, transcripts/, …).
TABLES = {
    "samples": SAMPLES,
    "transcripts": TRANSCRIPTS,
    "verdicts": VERDICTS,
    "awareness": AWARENESS,
    "reviews": REVIEWS,
    "calibration": CALIBRATION,
}
REQUIRED = {
    "samples": REQUIRED_SAMPLE_COLUMNS,
    "transcripts": REQUIRED_TRANSCRIPT_COLUMNS,
    "verdicts": ("sample_id", "source", "harmful"),
    "awareness": ("sample_id", "source", "awareness"),
    "reviews": ("sample_id", "reviewer", "created_at", "verdict"),
    "calibration": ("draw_id", "sample_id", "stratum", "stratum_size", "drawn"),
}


@dataclass(frozen=True)
class Problem:
    """Why one file cannot be used."""

    file: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


def _kind(t: pa.DataType) -> str:
    """Coarse type family: files may use int32 for int64, large_string for string, dictionaries …"""
    if pa.types.is_dictionary(t):
        return _kind(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_map(t):
        return "map"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list"
    if pa.types.is_null(t):
        return "null"
    return str(t)


def schema_problems(schema: pa.Schema, table: str) -> list[str]:
    """Column-level problems of `schema` against the canonical `table` schema ([] when it fits)."""
    expected = TABLES[table]
    problems = [f"missing column '{c}'" for c in REQUIRED[table] if c not in schema.names]
    for field in schema:
        if field.name not in expected.names:
            continue  # extra columns are allowed and ignored
        want, got = _kind(expected.field(field.name).type), _kind(field.type)
        if got not in (want, "null"):
            problems.append(f"column '{field.name}' has type {field.type}, expected {expected.field(field.name).type}")
    return problems


class FileCheck(NamedTuple):
    """What validating one Parquet file found."""

    rows: int
    problem: Problem | None
    columns: frozenset[str]
    id_ranges: tuple[tuple[str, str], ...] | None  # per row group: min and max sample_id, when recorded


def validate_file(path: Path, table: str) -> FileCheck:
    """Check one Parquet file's footer and schema (no data pages are read)."""
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except Exception as exc:  # pyarrow raises several types for damaged files
        return FileCheck(0, Problem(path, f"not a readable Parquet file ({exc})"), frozenset(), None)
    problems = schema_problems(schema, table)
    problem = Problem(path, "; ".join(problems)) if problems else None
    return FileCheck(meta.num_rows, problem, frozenset(schema.names), None if problem else _id_ranges(meta))


def data_problem(path: Path | str, columns: list[str] | None = None) -> str | None:
    """Why the data of a Parquet file (of `columns`, default all) cannot be read, or None when every row group
    decodes. `validate_file` reads only the footer; this finds a file whose data pages are damaged (bit rot, a bad
    copy) once a query over it has failed."""
    try:
        parquet = pq.ParquetFile(path)
        for group in range(parquet.num_row_groups):
            parquet.read_row_group(group, columns=columns)
    except Exception as exc:  # whatever the reader raises, this file's data cannot be read
        text = "".join(c if c.isprintable() else " " for c in f"{type(exc).__name__}: {exc}")
        return " ".join(text.split())
    return None


def _id_ranges(meta: pq.FileMetaData) -> tuple[tuple[str, str], ...] | None:
    """Each row group's sample_id range from the footer statistics, or None when any group lacks them."""
    column = meta.schema.to_arrow_schema().get_field_index("sample_id")
    ranges = []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(column).statistics
        if stats is None or not stats.has_min_max or not isinstance(stats.min, str):
            return None
        ranges.append((stats.min, stats.max))
    return tuple(ranges)


def validate_table(table: pa.Table, kind: str = "samples") -> list[str]:
    """Problems of an in-memory table, for importers: schema plus null / duplicate checks."""
    problems = schema_problems(table.schema, kind)
    if problems:
        return problems
    for name in REQUIRED[kind]:
        field = TABLES[kind].field(name)
        if not field.nullable and table.column(name).null_count:
            problems.append(f"column '{name}' has {table.column(name).null_count} null values")
    return problems
