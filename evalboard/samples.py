"""The samples behind a chart cell and single transcripts, from the store (no Streamlit here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from evalboard import search
from evalboard.store import Store
from evalboard.view import View

PAGE_SIZE = 50
VERDICTS = ("all", "harmful", "safe", "ungraded")
SORTS = {"conditions": "conditions", "score_desc": "grader score, high → low", "score_asc": "grader score, low → high"}
MAX_QUERY_CHARS = 200  # longer search text is cut (it cannot be a useful substring anyway)


@dataclass(frozen=True)
class ListRequest:
    """Which page of which list: the view, a checkpoint step, verdict, search text, sort."""

    view: View
    step: int | None = None
    verdict: str = "all"
    query: str = ""
    sort: str = "conditions"
    page: int = 1

    def params(self) -> dict[str, Any]:
        return self.view.params() | {"step": self.step, "verdict": self.verdict, "sort": self.sort}


def cell_counts(store: Store, request: ListRequest) -> dict[str, int]:
    """n (graded), k (harmful) and ungraded for the cell, ignoring the verdict filter and search."""
    return store.run("cell_counts", request.params()).row(0, named=True)


def sample_page(store: Store, request: ListRequest) -> tuple[pl.DataFrame, int]:
    """One page of the list and the total number of rows it pages through.

    Without search text the query reads only the samples table; with it, the search index (evalboard/search.py)
    finds the matching ids, or transcripts are scanned when it cannot answer. Both find the same samples.
    """
    params = request.params() | {"limit": PAGE_SIZE, "offset": (max(1, request.page) - 1) * PAGE_SIZE}
    if request.query:
        text = request.query[:MAX_QUERY_CHARS]
        index = search.index_for(store)
        hits = index.search(text)
        if hits is None:
            frame = store.run("samples_matching", params | {"q": text})
        else:
            found = {"search_hits": ((hits.version, text), lambda: hits.ids)}
            frame = store.run("samples_matching_ids", params, relations=found)
            passages = index.passages(text, hits, frame.get_column("sample_id").to_list())
            columns = [c for c in frame.columns if c != "total"]
            frame = frame.with_columns(passage=pl.Series(passages, dtype=pl.String))
            frame = frame.select(*columns, "passage", "total")
        frame = frame.with_columns(pl.col("passage").str.replace_all(r"\s+", " ").str.strip_chars())
    else:
        frame = store.run("samples_in_cell", params)
    total = int(frame.get_column("total")[0]) if frame.height else 0
    return frame.drop("total"), total


def sample_detail(store: Store, sample_id: str) -> dict[str, Any] | None:
    """The sample's row (conditions as a plain dict), or None when the id is not in the dataset."""
    frame = store.run("sample_detail", {"sample_id": sample_id})
    if not frame.height:
        return None
    row = frame.row(0, named=True)
    conditions = row.get("conditions") or {}
    if not isinstance(conditions, dict):  # older polars returns a map as a list of key/value structs
        conditions = {c["key"]: c["value"] for c in conditions}
    row["conditions"] = conditions
    return row


def transcript(store: Store, sample_id: str) -> list[dict] | None:
    """The sample's messages; None when no transcript file holds it ([] when it has no messages).

    Text that is not valid UTF-8 (model output can be anything) is decoded with U+FFFD, not lost.
    """
    rows = store.transcript_rows(sample_id)
    if not rows.num_rows:
        return None
    messages = rows.column("messages").cast(_binary_strings(rows.schema.field("messages").type))
    return _decode(messages.to_pylist()[0]) or []


def _binary_strings(t: pa.DataType) -> pa.DataType:
    """The same nested type with every string replaced by binary (a zero-copy cast)."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pa.binary()
    if pa.types.is_list(t):
        return pa.list_(_binary_strings(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _binary_strings(f.type)) for f in t])
    return t


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def counterparts(store: Store, sample_id: str) -> pl.DataFrame:
    """Same scenario, epoch and checkpoint from other snapshots or interventions."""
    return store.run("counterparts", {"sample_id": sample_id})
