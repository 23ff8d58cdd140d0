"""Each SQL rule exists once (docs/ARCHITECTURE.md, "Queries"): the list's order, the checkpoint grouping, the
eval-awareness classes and the message type are written in one place and read from there by every query that
uses them; and each one-place rule gives what its copies gave."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalboard.core.paths import QUERIES_DIR
from evalboard.core.schema import AWARENESS, AWARENESS_LABELS, TRANSCRIPTS, UNRECOGNISED
from evalboard.core.view import View
from evalboard.data.store import Store
from evalboard.screens import transcripts as samples
from tests.harness import REPO
from tests.helpers import sample, write_samples

QUERIES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERIES_DIR.glob("*.sql"))}
LISTS = ("samples_in_cell", "samples_matching", "samples_matching_ids", "samples_matching_ids_keys", "review_queue")
PER_CHECKPOINT = ("compare_cells", "compare_options", "readiness_candidates", "training_counts", "readiness_counts")
# The list's order as each list query wrote it before list_order (the reference the macro is checked against).
OLD_ORDER = """ORDER BY
    CASE $sort WHEN 'score_desc' THEN -score WHEN 'score_asc' THEN score END NULLS LAST,
    snapshot, intervention, stage_rank(training_stage), stage_step, scenario_family, scenario, epoch, sample_id"""


def code(sql: str) -> str:
    """The SQL without its comments, whitespace collapsed."""
    return " ".join(" ".join(line.split("--", 1)[0] for line in sql.splitlines()).split())


def files_with(pattern: str) -> list[str]:
    return [name for name, sql in QUERIES.items() if re.search(pattern, code(sql))]


def test_the_list_order_is_written_once_and_every_list_reads_it():
    assert files_with(r"WHEN 'score_desc'") == ["macros"]
    assert files_with(r"stage_rank\(\w*\.?training_stage\), \w*\.?stage_step, \w*\.?scenario_family") == ["macros"]
    assert [name for name in LISTS if "ORDER BY list_order(" not in code(QUERIES[name])] == []


def test_the_cell_is_named_once_and_every_list_and_count_reads_it():
    """The twelve filters of a chart cell are unpacked in one place (requested_cell); queries bind them as `$cell`."""
    assert files_with(r"aware_cell_samples\(") == ["macros"]
    assert code(QUERIES["macros"]).count("FROM aware_cell_samples(") == 1
    readers = [name for name in QUERIES if "requested_cell($cell" in code(QUERIES[name])]
    assert readers == ["cell_counts", *[name for name in LISTS if name != "review_queue"]]


def test_the_checkpoint_grouping_is_written_once():
    """Counts per checkpoint (and family) come from checkpoint_counts; finer groupings (Drivers' per scenario,
    view_counts' per grader) are other questions."""
    grouping = r"GROUP BY snapshot, intervention, training_stage, stage_step(, scenario_family)? ?(ORDER|\)|;|$)"
    assert files_with(grouping) == []
    assert [name for name in PER_CHECKPOINT if "checkpoint_counts(" not in code(QUERIES[name])] == []


def test_the_awareness_classes_and_the_message_type_are_the_schemas():
    """No query spells a class or the message type: they are macros made from core/schema.py."""
    assert files_with(r"'(evaluation|none|unlabelled|unrecognised)'") == []
    assert files_with(r"STRUCT\(\s*\"?role") == []
    python = [p for p in (REPO / "evalboard").rglob("*.py") if "tool_call_id VARCHAR" in p.read_text(encoding="utf-8")]
    assert python == []


@pytest.fixture
def store(tmp_path):
    """Samples whose order needs every field of the rule: ties on score, unscored ones, two stages at one step,
    several families, scenarios and epochs; awareness labels of every kind."""
    rows = []
    stages = [("pretrained", 0), ("sft", 0), ("rl", 100), ("rl", 20), ("custom", 5)]
    for i in range(120):
        stage, step = stages[i % len(stages)]
        rows.append(
            sample(
                i,
                sample_id=f"t-{(i * 37) % 120:06d}",
                snapshot=("snap-b", "snap-a")[i % 2],
                intervention=("safe_demos", "baseline", "rewrites")[i % 3],
                training_stage=stage,
                stage_step=step,
                scenario_family=("murder", "blackmail")[i % 4 // 2],
                scenario=f"scenario-{i % 3}",
                epoch=1 + i % 2,
                score=None if i % 7 == 0 else (i % 5) / 4,
                harmful=None if i % 11 == 0 else i % 2 == 0,
                created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i),
            )
        )
    write_samples(tmp_path / "samples" / "a.parquet", rows)
    labels = [*AWARENESS_LABELS, "Real ", "maybe"]
    awareness = [
        {"sample_id": r["sample_id"], "source": "judge", "awareness": labels[i % len(labels)], "score": None,
         "evidence": None, "explanation": None, "created_at": datetime(2026, 2, 1, tzinfo=UTC)}
        for i, r in enumerate(rows[:100])
    ]  # fmt: skip
    (tmp_path / "awareness").mkdir()
    pq.write_table(pa.Table.from_pylist(awareness, schema=AWARENESS), tmp_path / "awareness" / "a.parquet")
    return Store(tmp_path)


@pytest.mark.parametrize("sort", ["conditions", "score_desc", "score_asc"])
def test_list_order_gives_the_order_each_list_wrote_out(store, sort):
    params = samples.ListRequest(View(), sort=sort).params() | {"limit": 1000, "offset": 0}
    listed = store.run("samples_in_cell", params)
    store.refresh()
    old = re.sub(r"ORDER BY list_order\([^;]*?\)\n", OLD_ORDER + "\n", QUERIES["samples_in_cell"])
    assert old != QUERIES["samples_in_cell"]
    cursor = store._con.cursor()
    expected = cursor.sql(old, params={k: params[k] for k in re.findall(r"\$(\w+)", code(old))}).pl()
    assert listed.height == 120
    assert listed.get_column("sample_id").to_list() == expected.get_column("sample_id").to_list()


def test_checkpoint_counts_give_the_grouping_each_query_wrote_out(store):
    store.refresh()
    cursor = store._con.cursor()
    by_hand = cursor.sql(
        "SELECT snapshot, intervention, training_stage, stage_step, stage_rank(training_stage) AS stage_rank, "
        "sum(n)::BIGINT AS n, max(last_at) AS last_at FROM sample_counts "
        "GROUP BY snapshot, intervention, training_stage, stage_step ORDER BY ALL"
    ).fetchall()
    options = store.run("compare_options").sort("snapshot", "intervention", "training_stage", "stage_step")
    assert [r[:6] for r in by_hand] == options.select(
        "snapshot", "intervention", "training_stage", "stage_step", "stage_rank", "n"
    ).rows()
    cells = store.run("readiness_counts", {"source": "primary"})
    assert cells.get_column("n").sum() == 120 - len([i for i in range(120) if i % 11 == 0])
    keys = cells.select("snapshot", "intervention", "training_stage", "stage_step", "scenario_family")
    assert not keys.is_duplicated().any()


def test_awareness_classes_come_from_the_schema(store):
    store.refresh()
    got = dict(store._con.sql("SELECT awareness, count(*) FROM awareness_labels() GROUP BY ALL").fetchall())
    assert set(got) == {*AWARENESS_LABELS, UNRECOGNISED}
    assert got["real"] == 40  # "Real " (trimmed, lower-cased) counts as real
    assert got[UNRECOGNISED] == 20


def test_as_messages_is_the_type_parquet_files_of_the_schema_give(tmp_path):
    """The one message type (core/schema.py) as DuckDB reads it from a file written with it, and as the cast
    macro spells it, are the same type: a file missing a field (older writers) reads as that type too."""
    store = Store(tmp_path)
    write_samples(tmp_path / "samples" / "a.parquet", [sample(0)])
    full = tmp_path / "full.parquet"
    pq.write_table(pa.table({"messages": pa.array([[]], TRANSCRIPTS.field("messages").type)}), full)
    older = tmp_path / "older.parquet"
    old_message = pa.struct([("role", pa.string()), ("content", pa.string())])
    old_messages = pa.array([[{"role": "user", "content": "hi"}]], pa.list_(old_message))
    pq.write_table(pa.table({"messages": old_messages}), older)
    store.refresh()
    con = store._con
    [(file_type,)] = con.sql(f"SELECT typeof(messages) FROM read_parquet('{full}')").fetchall()
    assert con.sql(f"SELECT typeof(as_messages(messages)) FROM read_parquet('{full}')").fetchall() == [(file_type,)]
    cast = f"SELECT typeof(as_messages(messages)), as_messages(messages)[1].reasoning FROM read_parquet('{older}')"
    assert con.sql(cast).fetchall() == [(file_type, None)]
    with pytest.raises(duckdb.Error):  # the cast is a real one: a value that is no message list does not pass
        con.sql("SELECT as_messages(42)").fetchall()
