"""Inspect Scout scan results → eval-awareness labels (`awareness/`) for the samples of the Inspect logs it scanned.

A Scout scan writes a folder `scan_id=<id>/` holding `_scan.json` (the scan's spec), `_summary.json`,
`_errors.jsonl` and one Parquet file per scanner, `<scanner key>.parquet`, one row per scanner result
(docs/FORMATS.md §7). Only scanners whose key names awareness (`eval_awareness`, …)
are read from a scan folder; a scanner file given by name is read whatever its key.

Each row's transcript is the Inspect sample it came from: `transcript_source_id` is the log's `eval_id`,
`transcript_task_id` the sample id and `transcript_task_repeat` its epoch (older Scout versions wrote them as the
columns `id` and `epoch`), so the label's sample_id is built exactly as the Inspect importer builds it
(`<eval_id>/<sample id>/<epoch>`). A row that names no such sample in the dataset, a row the scanner failed on
(`scan_error`) and a second result of one scanner for one sample are quarantined with the reason.

Awareness: `evaluation_awareness` YES → evaluation, NO and UNSURE → none. Detection: a Parquet file with Scout's
result columns; in a scan folder, the awareness scanners' files (the scan's other files are passed over).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import EVIDENCE_SEPARATOR
from evalboard.ingest.awareness import AwarenessError, label_row, unrecognised
from evalboard.ingest.formats.base import Claim, Format, Head
from evalboard.ingest.formats.parquet import MAGIC
from evalboard.ingest.records import Options, timestamp_or_none
from evalboard.ingest.writer import DatasetWriter, SourceStats

AWARENESS_SOURCE = "scout:eval_awareness"
SCOUT = {"yes": "evaluation", "no": "none", "unsure": "none"}  # the scanner's `evaluation_awareness` answer
SCAN_SPEC = "_scan.json"
AWARENESS_SCANNER = re.compile(r"aware", re.IGNORECASE)  # which scanners of a scan folder hold awareness labels
REQUIRED = ("transcript_id", "transcript_source_id", "value")  # a Parquet file with these is a Scout result file
COLUMNS = (
    "transcript_id", "transcript_source_id", "transcript_source_type", "transcript_task_id", "transcript_task_repeat",
    "id", "epoch", "scanner_key", "scanner_name", "value", "value_type", "answer", "explanation", "metadata",
    "message_references", "scan_error", "timestamp",
)  # fmt: skip
BATCH_ROWS = 10_000
NUMBERS = {1.0: "YES", 0.5: "UNSURE", 0.0: "NO"}  # Scout's own eval_awareness example: value_to_float
_QUOTED = re.compile(r"\"([^\"\n]{4,}?)\"|“([^”\n]{4,}?)”|(?<!\w)'([^'\n]{4,}?)'(?!\w)")


def is_results_file(path: Path) -> bool:
    """True for a Parquet file Scout wrote: scanner results keyed by transcript."""
    try:
        names = pq.read_schema(path).names
    except Exception:  # not Parquet, damaged: the Parquet importer says why
        return False
    return all(n in names for n in REQUIRED)


def is_scan_folder(path: Path) -> bool:
    """True for a Scout scan folder (`scan_id=…/` with `_scan.json`)."""
    return (path / SCAN_SPEC).is_file()


def is_awareness_scanner(path: Path) -> bool:
    """A scanner file of a scan folder whose key (its file name) names eval-awareness."""
    return bool(AWARENESS_SCANNER.search(path.stem))


def sample_id(row: Mapping[str, Any]) -> str:
    """`<eval_id>/<sample id>/<epoch>` of the Inspect sample a Scout row scanned, or AwarenessError saying what is
    missing (the same id the Inspect importer gives the sample)."""
    source = row.get("transcript_source_id")
    task = _first(row, "transcript_task_id", "id")
    repeat = _first(row, "transcript_task_repeat", "epoch")
    missing = [n for n, v in (("transcript_source_id", source), ("task id", task), ("epoch", repeat)) if v is None]
    if missing:
        raise AwarenessError(f"the row names no {' or '.join(missing)} of an Inspect sample")
    try:
        epoch = int(float(repeat))
    except (TypeError, ValueError):
        raise AwarenessError(f"epoch {repeat!r} is not a number") from None
    return f"{source}/{task}/{epoch}"


def _first(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = row.get(name)
        if value is not None and value != "":
            return value
    return None


def answer_of(row: Mapping[str, Any]) -> Any:
    """The scanner's YES / NO / UNSURE: the `value` (a string, or the number Scout's `awareness_to_float` gives:
    1 / 0.5 / 0; or an object holding `evaluation_awareness`), else the `answer`."""
    value, kind = row.get("value"), (row.get("value_type") or "").lower()
    if kind in ("object", "resultset") and isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, Mapping):
        value = value.get("evaluation_awareness", value.get("value"))
    if value is None or value == "":
        return row.get("answer")
    if kind == "number" or isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return NUMBERS.get(float(value), value)
        except (TypeError, ValueError):
            return value
    if kind == "boolean" or isinstance(value, bool):
        return {"true": "YES", "false": "NO"}.get(str(value).strip().lower(), value)
    return value


def quoted(text: str | None) -> str | None:
    """The passages the scanner quoted in its explanation (its `suspicious_details` quote the target), joined."""
    if not text:
        return None
    found = [next(g for g in m.groups() if g).strip() for m in _QUOTED.finditer(text)]
    found = list(dict.fromkeys(q for q in found if q))
    return EVIDENCE_SEPARATOR.join(found) or None


def scout_label(answer: Any, explanation: str | None = None, evidence: str | None = None) -> dict:
    """Inspect Scout's `eval_awareness` scanner: `evaluation_awareness` YES → evaluation, NO / UNSURE → none."""
    token = str(answer).strip().lower() if answer is not None else ""
    if token not in SCOUT:
        raise AwarenessError(f"evaluation_awareness {answer!r} is not YES, NO or UNSURE")
    score = {"yes": 1.0, "no": 0.0, "unsure": 0.5}[token]
    return label_row(AWARENESS_SOURCE, SCOUT[token], score, evidence if token == "yes" else None, explanation)


def label(row: Mapping[str, Any]) -> dict:
    """One awareness row (without sample_id) from one Scout result row; unmappable values kept "unrecognised"."""
    key = row.get("scanner_key") or row.get("scanner_name")
    source = AWARENESS_SOURCE if key in (None, "eval_awareness") else f"scout:{key}"
    explanation = _explanation(row)
    try:
        out = scout_label(answer_of(row), explanation, quoted(row.get("explanation")))
    except AwarenessError as exc:
        out = unrecognised(source, exc)
    out["source"] = source
    out["created_at"] = timestamp_or_none(row.get("timestamp"))
    return out


def _explanation(row: Mapping[str, Any]) -> str | None:
    """The scanner's explanation, with its other fields (e.g. only_in_thinking, evaluation_purpose) and the
    messages it cited."""
    text = str(row.get("explanation") or "").strip()
    extra = []
    try:
        metadata = json.loads(row["metadata"]) if isinstance(row.get("metadata"), str) else row.get("metadata")
    except ValueError:
        metadata = None
    for name, value in (metadata or {}).items() if isinstance(metadata, Mapping) else ():
        if value not in (None, "", [], {}):
            extra.append(f"{name}: {value}")
    try:
        refs = json.loads(row.get("message_references") or "[]")
    except ValueError:
        refs = []
    cites = [str(r.get("cite") or r.get("id")) for r in refs if isinstance(r, Mapping)]
    cites = [c for c in cites if c != "None"]
    if cites:
        extra.append("cites " + ", ".join(cites))
    if extra:
        text = f"{text} ({'; '.join(extra)})" if text else "; ".join(extra)
    return text or None


def rows(path: Path) -> Iterator[list[dict[str, Any]]]:
    """The result rows of one scanner file, in batches (only the columns a label needs)."""
    file = pq.ParquetFile(path)
    names = [c for c in COLUMNS if c in file.schema_arrow.names]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValueError(f"not an Inspect Scout results file: no {', '.join(missing)} column")
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=names):
        yield pa.Table.from_batches([batch]).to_pylist()


def ingest(writer: DatasetWriter, stats: SourceStats, path: Path, options: Options) -> None:
    """Import one scanner file's labels into `writer` (counts in `stats`); rows that match no sample of the
    dataset, failed rows and repeated results are quarantined."""
    seen: dict[tuple[str, str], int] = {}
    number = 0
    for batch in rows(path):
        keep: list[dict[str, Any]] = []
        for row in batch:
            number += 1
            stats.records += 1
            position = f"row {number} (transcript {row.get('transcript_id')})"
            if row.get("scan_error"):
                writer.reject(position, f"Scout scan error on this transcript: {row['scan_error']}", _raw(row))
                continue
            try:
                sid = sample_id(row)
            except AwarenessError as exc:
                writer.reject(position, f"cannot be matched to a sample: {exc}", _raw(row))
                continue
            out = label(row) | {"sample_id": sid}
            first = seen.setdefault((sid, out["source"]), number)
            if first != number:
                again = f"a second result of {out['source']} for {sid} (row {first} is kept)"
                writer.reject(position, again, _raw(row))
                continue
            keep.append(out | {"_position": position, "_raw": _raw(row)})
        known = writer.known_samples([r["sample_id"] for r in keep])
        matched = []
        for r in keep:
            position, raw = r.pop("_position"), r.pop("_raw")
            if r["sample_id"] in known:
                matched.append(r)
            else:
                writer.reject(
                    position,
                    f"no sample {r['sample_id']!r} in the dataset: import the Inspect log the scan read "
                    "(before, or in the same command)",
                    raw,
                )
        rejected = stats.rejected
        new = writer.write_rows("awareness", matched)
        stats.imported += new
        stats.already_present += len(matched) - new - (stats.rejected - rejected)


def _raw(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in COLUMNS if k in row and k not in ("message_references",)}


class Scout(Format):
    """Inspect Scout scanner results: labels for samples already in the dataset, imported after every other
    source."""

    name = "scout"
    suffixes = (".parquet",)
    label_only = True

    def by_magic(self, head: Head) -> Claim | None:
        if head.head.startswith(MAGIC) and is_results_file(head.path):
            return Claim(self.name, "Inspect Scout scanner results (Parquet)")
        return None

    def passed_over(self, folder: Path, files: list[str]) -> set[str]:
        if not is_scan_folder(folder):
            return set()
        # the scan's spec, summary, errors and its other scanners' results
        return {f for f in files if not f.endswith(".parquet") or not is_awareness_scanner(folder / f)}

    def chosen(self, file: Path, suffix: str) -> bool | None:
        if is_scan_folder(file.parent) and not is_awareness_scanner(file):
            return False  # another scanner of the scan: not an awareness label
        return super().chosen(file, suffix)

    def ingest(self, writer: DatasetWriter, stats: SourceStats, path: Path, options: Options) -> None:
        ingest(writer, stats, path, options)
