"""The samples behind a chart cell and single transcripts, from the store (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from evalboard.core import fmt, urls
from evalboard.core.checkpoints import several_steps
from evalboard.core.view import View, ignored
from evalboard.data import search
from evalboard.data.store import Store

# The Transcripts page's URL keys and what they accept: the URL contract's (evalboard/core/urls.py).
BELIEVED_KEYS, VARIABLE_KEYS, QUEUE_KEYS = urls.BELIEVED_KEYS, urls.VARIABLE_KEYS, urls.QUEUE_KEYS
URL_KEYS = urls.TRANSCRIPTS_KEYS
KEY_SPECS = urls.TRANSCRIPTS_SPECS
PAGE_SIZE = 50
VERDICTS = KEY_SPECS["verdict"].choices
BY_VERDICTS = KEY_SPECS["by_verdict"].choices  # what a second source (`by`) said: the Agreement cells
SORT_LABELS = ("conditions", "grader score, high → low", "grader score, low → high")
SORTS = dict(zip(KEY_SPECS["sort"].choices, SORT_LABELS, strict=True))
MAX_QUERY_CHARS = 200  # longer search text is cut (it cannot be a useful substring anyway)
# A search matching more texts than the index collects (search.MAX_HITS) scans the cell's transcripts instead when
# the cell holds at most this many samples (about 2 s of scan, bench/README.md "Search"), so every match is found.
SCAN_CELL_LIMIT = 250_000
# Up to this many ids found by the index are also bound as a list (samples_matching_ids.sql): DuckDB then filters
# while reading the Parquet, 56 ms against 1 s for the join alone at 10M samples (bench/README.md); for many more
# ids the list costs more than the join, and the page is read in two steps (`_found_page`).
ID_LIST_MAX = 10_000


def page_key(key: str, raw: str | None) -> tuple[str | int | None, str | None]:
    """Validate one of the Transcripts page's keys by its spec: (value or None, warning or None)."""
    return KEY_SPECS[key].check(key, raw)


@dataclass(frozen=True)
class ListRequest:
    """Which page of which list: the view, a checkpoint step, verdict, search text, sort."""

    view: View
    step: int | None = None
    verdict: str = "all"
    query: str = ""
    sort: str = "conditions"
    page: int = 1
    by: str | None = None  # a second verdict source the listed samples must have given `by_verdict`
    by_verdict: str = "harmful"  # "harmful" | "safe"
    believed: str | None = None  # an eval-awareness class (evalboard/screens/awareness.py) to narrow to
    awareness_source: str | None = None  # … under this labeller source
    variable: str | None = None  # a scenario variable (a Drivers cell) to narrow to …
    value: str | None = None  # … at this value

    def params(self) -> dict[str, Any]:
        return cell_params(
            self.view.params()
            | {
                "step": self.step,
                "verdict": self.verdict,
                "sort": self.sort,
                "by": self.by,
                "by_verdict": self.by_verdict,
                "believed": self.believed,
                "awareness_source": self.awareness_source,
                "variable": self.variable if self.value is not None else None,
                "value": self.value,
            }
        )


# The cell's filters, bound together as `$cell` (queries/macros.sql `requested_cell`).
CELL_KEYS = (
    "snapshots", "interventions", "stages", "families", "graders", "source", "step", "verdict", "by", "by_verdict",
    "believed", "awareness_source", "variable", "value",
)  # fmt: skip


def cell_params(params: dict[str, Any]) -> dict[str, Any]:
    """`params` (each filter of a cell by its name, as `ListRequest.params` has them) plus `cell`: those filters as the
    one struct the list and count queries read the cell from (a filter `params` lacks is NULL: cell_counts.sql reads
    neither verdict nor by)."""
    return params | {"cell": {key: params.get(key) for key in CELL_KEYS}}


def cell_counts(store: Store, request: ListRequest) -> dict[str, int]:
    """n (graded), k (harmful) and ungraded for the cell, ignoring the verdict filter and search."""
    return store.run("cell_counts", request.params()).row(0, named=True)


def sample_page(store: Store, request: ListRequest) -> tuple[pl.DataFrame, int]:
    """One page of the list and the total number of rows it pages through.

    Without search text the query reads only the samples table; with it, the search index (evalboard/data/search.py)
    finds the matching ids, or transcripts are scanned when it cannot answer. Both find the same samples.
    """
    frame, total = _page(store, request, max(1, request.page))
    if not frame.height and request.page > 1:
        _, total = _page(store, request, 1)
        if total:
            frame, total = _page(store, request, last_page(total))
    return frame, total


def search_bound(store: Store, request: ListRequest) -> int | None:
    """The number of matching texts the search stopped at when more match (the list then holds only the matches
    among them), or None when it found every match. Reuses the search `sample_page` just ran (kept by the index)."""
    if not request.query:
        return None
    hits = _index_hits(store, request)
    return search.MAX_HITS if hits is not None and not hits.complete else None


def _index_hits(store: Store, request: ListRequest) -> search.Hits | None:
    """The index's answer to the request's search, or None when the cell is to be scanned instead: the index cannot
    answer, or it stopped at MAX_HITS texts and the cell is small enough to scan (then every match is found)."""
    hits = search.index_for(store).search(request.query[:MAX_QUERY_CHARS])
    if hits is None or hits.complete:
        return hits
    counts = cell_counts(store, request)
    return None if counts["n"] + counts["ungraded"] <= SCAN_CELL_LIMIT else hits


def last_page(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _page(store: Store, request: ListRequest, page: int) -> tuple[pl.DataFrame, int]:
    params = request.params() | {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    if request.query:
        text = request.query[:MAX_QUERY_CHARS]
        index = search.index_for(store)
        hits = _index_hits(store, request)
        if hits is None:
            frame = store.run("samples_matching", params | {"q": text})
        else:
            frame = _found_page(store, params, hits, text)
            passages = index.passages(text, hits, frame.get_column("sample_id").to_list())
            columns = [c for c in frame.columns if c != "total"]
            frame = frame.with_columns(passage=pl.Series(passages, dtype=pl.String))
            frame = frame.select(*columns, "passage", "total")
        frame = frame.with_columns(
            passage=pl.Series([hit_excerpt(p, text) for p in frame.get_column("passage")], dtype=pl.String)
        )
    else:
        frame = store.run("samples_in_cell", params)
    total = int(frame.get_column("total")[0]) if frame.height else 0
    return frame.drop("total"), total


# The list shows the hit with this many characters of its passage before and after it (fewer than the passage's own
# window, search.PASSAGE_BEFORE/AFTER, so a cut is known exactly): three lines of a 300 px column.
HIT_BEFORE, HIT_AFTER = 40, 60
CUT = "…"


def hit_excerpt(passage: str | None, query: str) -> str:
    """The search's hit in its passage with up to HIT_BEFORE / HIT_AFTER characters around it, cut at word
    boundaries, whitespace collapsed; "…" marks each side where text was cut. A passage starts HIT_BEFORE or fewer
    characters before its hit only at the start of its text (and ends after it likewise), so "…" never marks an end."""
    if not passage:
        return ""
    at = passage.lower().find(query.lower()) if query else -1
    if at < 0:  # case folding changed the length (rare): the passage as found
        return " ".join(passage.split())
    start, end = max(0, at - HIT_BEFORE), min(len(passage), at + len(query) + HIT_AFTER)
    if start > 0 and not passage[start - 1].isspace():  # not in the middle of a word
        space = passage.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    if end < len(passage) and not passage[end].isspace():
        space = passage.rfind(" ", at + len(query), end)
        end = space if space >= 0 else end
    shown = " ".join(passage[start:end].split())
    return (CUT if start > 0 else "") + shown + (CUT if end < len(passage) else "")


# A listed sample in one column, wrapped over three lines (rows THREE_LINES px high, the column SAMPLE_WIDTH px wide:
# a data grid breaks lines only at spaces), so a list of samples fits the page at 1280 px whatever the names' lengths.
SAMPLE_FIELDS = "scenario, epoch · intervention · checkpoint · snapshot · scenario family"
THREE_LINES, SAMPLE_WIDTH = 70, 320


def sample_lines(frame: pl.DataFrame) -> pl.Series:
    """`SAMPLE_FIELDS` of each row of a frame with those columns (the checkpoint in its reading form), as "sample"."""
    columns = ("scenario", "epoch", "intervention", "checkpoint", "snapshot", "scenario_family")
    text = [pl.col(c).cast(pl.String).fill_null("—") for c in columns]
    return frame.select(pl.format("{}, epoch {} · {} · {} · {} · {}", *text).alias("sample")).to_series()


def _found_page(store: Store, params: dict[str, Any], hits: search.Hits, text: str) -> pl.DataFrame:
    """One page of the cell's samples among the ids the index found (samples_matching_ids.sql), with the total.

    Up to ID_LIST_MAX ids are also bound as a list (DuckDB filters while reading). More are joined in two steps:
    the page's ids and the total through the join, reading only the sort's columns (samples_matching_ids_keys.sql),
    then those ≤ PAGE_SIZE rows by their ids as a list: the one-step join would read every column (the long
    explanation too) of every sample in the ids' range. Both give the same rows, order and total (tests/test_search.py).
    """
    found = {"search_hits": ((hits.version, text), lambda: hits.ids)}
    column = hits.ids.column("sample_id")
    if hits.ids.num_rows <= ID_LIST_MAX:
        return store.run("samples_matching_ids", params | _id_params(column), relations=found)
    keys = store.run("samples_matching_ids_keys", params | _id_params(column, listed=False), relations=found)
    page = keys.get_column("sample_id")
    ids = pa.table({"sample_id": page.to_arrow()})
    on_page = {"search_hits": ((hits.version, text, tuple(page)), lambda: ids)}
    params = params | _id_params(ids.column("sample_id")) | {"offset": 0}  # the page's rows are all it reads
    frame = store.run("samples_matching_ids", params, relations=on_page)
    return frame.with_columns(total=pl.lit(keys.get_column("total")[0] if keys.height else 0, pl.Int64))


def _id_params(ids: pa.ChunkedArray, listed: bool = True) -> dict[str, Any]:
    """The found ids' bound parameters: their least and greatest ($lo, $hi) and, when `listed`, the ids ($ids)."""
    bounds = pc.min_max(ids)
    return {"lo": bounds["min"].as_py(), "hi": bounds["max"].as_py()} | ({"ids": ids.to_pylist()} if listed else {})


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


def missing_transcript_files(store: Store, sample_id: str) -> list[tuple[str, bool]]:
    """For a transcript no readable file holds: the left-out transcripts files (relative to the dataset folder) that
    hold it (True, by their footer's id ranges) or may hold it (False)."""
    return [(str(p.relative_to(store.root)), sure) for p, sure in store.transcript_left_out(sample_id)]


SEARCHED_TABLES = ("transcripts", "samples", "verdicts", "reviews")  # what a search reads (evalboard/data/search.py)


def unsearched(store: Store) -> list[tuple[str, str, int]]:
    """The files a search could not read (left out): (file relative to the dataset folder, table, rows where known),
    so the page says how much was not searched instead of silently finding fewer."""
    health = store.health
    return [
        (str(f.path.relative_to(health.root)), f.table, f.rows) for f in health.rejected if f.table in SEARCHED_TABLES
    ]


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


def awareness_labels(store: Store, sample_id: str) -> list[dict[str, Any]]:
    """The sample's eval-awareness labels, one per source (the newest where a source labelled it twice)."""
    rows = store.run("awareness_of_sample", {"sample_id": sample_id}).to_dicts()
    seen: set[str] = set()
    return [r for r in rows if not (r["source"] in seen or seen.add(r["source"]))]


def stages_with_steps(store: Store) -> frozenset[str]:
    """The training stages with more than one checkpoint in the dataset: their checkpoints are named with the step
    ('RL step 1,000'), the others by the stage alone ('SFT'), as on every page (`checkpoints.checkpoint_labels`)."""
    return frozenset(several_steps(store.run("compare_options")))


def provenance(detail: dict[str, Any], several: Collection[str] | None = None) -> list[tuple[str, str]]:
    """Where a transcript came from, as (label, value) pairs in reading order: its cell, scenario, epoch, grader.
    The checkpoint is in its reading form; its step is shown when the stage is in `several` (None: always)."""
    stage, step = str(detail.get("training_stage")), detail.get("stage_step")
    pairs = [
        ("snapshot", detail.get("snapshot")),
        ("intervention", detail.get("intervention")),
        ("checkpoint", fmt.checkpoint(stage, step, several is None or stage in several)),
        ("family", detail.get("scenario_family")),
        ("scenario", detail.get("scenario")),
        ("epoch", detail.get("epoch")),
        ("grader", detail.get("grader")),
    ]
    return [(label, str(value)) for label, value in pairs if value is not None]


def other_interventions(others: pl.DataFrame, detail: dict[str, Any]) -> list[dict[str, Any]]:
    """From `counterparts`: the same scenario, epoch and checkpoint under the snapshot's other interventions."""
    rows = others.filter(
        (pl.col("snapshot") == detail["snapshot"]) & (pl.col("intervention") != detail["intervention"])
    )
    return rows.unique("intervention", keep="first", maintain_order=True).to_dicts()


def second_source(by: str | None, by_verdict: str | None, sources: list[str]) -> tuple[str | None, str, str | None]:
    """The URL's `by` / `by_verdict` checked against the dataset's sources: (by, by_verdict, warning)."""
    if by is None:
        return None, "harmful", None
    if by not in sources:
        return None, "harmful", ignored("by", by, "the dataset has no such verdict source")
    if by_verdict not in BY_VERDICTS:
        return None, "harmful", ignored("by_verdict", str(by_verdict), "use one of " + ", ".join(BY_VERDICTS))
    return by, by_verdict, None
