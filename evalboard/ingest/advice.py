"""Plain words for why a file cost records, and what to do about it (the ingest summary's bad-file lines)."""

from __future__ import annotations

# (substring of the reason, lower case) → plain reason and what to do; the first match wins.
ADVICE: tuple[tuple[str, str], ...] = (
    ("truncated or damaged zip", "truncated zip: the file ends early — was it still being written? Re-copy it"),
    ("corrupt sample in the log", "a damaged sample inside the log: the others were imported — re-copy the log"),
    ("unreadable log header", "the log's header is damaged — re-copy the log or re-run the eval"),
    ("not a readable inspect log", "Inspect cannot read this log — is it complete? Try `inspect view` on it"),
    ("no samples (status success)", "the eval finished without samples — was its dataset empty or filtered out?"),
    ("no samples (status started)", "the eval is still running — import the log when it has finished"),
    ("no samples (status error)", "the eval failed before any sample finished — see `inspect view` for its error"),
    ("no samples (status cancelled)", "the eval was cancelled before any sample finished — re-run it"),
    ("log has no samples", "the log holds no samples — the eval may have failed or still be running"),
    ("cannot be opened", "the file cannot be opened — check its permissions"),
    ("unrecognised shape", "not an eval log evalboard knows — pass --format, or move it out of the folder"),
    ("json array", "a JSON array — write one JSON object per line (JSONL)"),
    ("not a format evalboard reads", "not an eval log evalboard knows — pass --format, or move it out of the folder"),
    ("zip archive", "a zip that is not an Inspect log — pass --format, or move it out of the folder"),
    ("is not a json value", "NaN or Infinity, which JSON cannot hold — write such values as null"),
    ("beyond a double", "a number beyond what a double holds (like 1e400) — write it as null or a string"),
    ("lone surrogate", "text with half of a UTF-16 pair (a lone surrogate such as \\ud83d) — fix the writer"),
    ("nested deeper than", "records nested deeper than 512 levels — flatten them"),
    ("codec can't decode", "bytes that are not UTF-8 — re-encode the file as UTF-8"),
    ("invalid json", "records that are not valid JSON — was the file cut short or edited by hand?"),
    ("missing verdict", "records without a verdict — pass --ungraded-ok to import them as ungraded"),
    ("no score from scorer", "no verdict from the chosen scorer — pick one with --scorer NAME"),
    ("no score", "unscored samples — pass --ungraded-ok to import them as ungraded, or score the log"),
    ("pass --threshold", "judge scores 1–10 need a cut-off — pass --threshold T"),
    ("no snapshot", "records name no model — pass --set snapshot=NAME or --map snapshot=FIELD"),
    ("duplicate sample_id", "the same sample_id twice — the first was kept"),
    ("sample error", "samples that failed during the eval — nothing to grade; re-run them"),
    ("empty file", "the file is empty — was it still being written?"),
    ("not a readable parquet", "a damaged Parquet file — re-export it"),
    ("does not fit the canonical schema", "values of the wrong type — see the quarantine file for the column"),
    ("must be", "values of the wrong type — see the quarantine file for the field"),
)


def plain(reason: str) -> str:
    """A reason as a person reads it, with what to do; the raw reason when nothing better is known."""
    low = reason.lower()
    for needle, text in ADVICE:
        if needle in low:
            return text
    return reason
