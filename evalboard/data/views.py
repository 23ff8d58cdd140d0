"""The DuckDB text of the store's views over plain Parquet files (docs/ARCHITECTURE.md, "Missing columns"): each
table's canonical columns, typed NULL where none of the files has one, so every query binds."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from evalboard.core.schema import AWARENESS_LABELS, TABLES, TRANSCRIPTS, UNLABELLED, UNRECOGNISED


def sql_literal(text: str) -> str:
    """Quote one of our own file paths as a SQL string literal (never used for user input)."""
    return "'" + text.replace("'", "''") + "'"


def ddl_type(t: pa.DataType) -> str:
    """DuckDB type of a canonical column (core/schema.py): for one that no file provides (so queries still bind), and
    for the types the queries cast to (`schema_macros`)."""
    mapping = {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.bool_(): "BOOLEAN",
        pa.float64(): "DOUBLE",
        pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    }
    if t in mapping:
        return mapping[t]
    if pa.types.is_map(t):
        return "MAP(VARCHAR, VARCHAR)"
    if pa.types.is_list(t):
        return f"{ddl_type(t.value_type)}[]"
    if pa.types.is_struct(t):
        return "STRUCT(" + ", ".join(f'"{f.name}" {ddl_type(f.type)}' for f in t) + ")"
    raise TypeError(f"no DuckDB type for {t}")


def schema_macros() -> str:
    """Macros of the schema's own definitions (core/schema.py), so queries/ spells none of them again: the
    canonical messages type (`as_messages`) and the eval-awareness classes (`awareness_class`, `unlabelled`)."""
    labels = ", ".join(sql_literal(label) for label in AWARENESS_LABELS)
    return f"""
CREATE OR REPLACE MACRO as_messages(messages) AS CAST(messages AS {ddl_type(TRANSCRIPTS.field("messages").type)});
CREATE OR REPLACE MACRO awareness_class(label) AS
    CASE WHEN label IN ({labels}) THEN label ELSE {sql_literal(UNRECOGNISED)} END;
CREATE OR REPLACE MACRO unlabelled() AS {sql_literal(UNLABELLED)};
"""


def canonical_columns(table: str, present: set[str] | frozenset[str]) -> list[str]:
    """The canonical columns of `table`, NULL (typed) where none of the files has one."""
    return [f.name if f.name in present else f"CAST(NULL AS {ddl_type(f.type)}) AS {f.name}" for f in TABLES[table]]


def read_parquet(files: list[Path], column_sets: set[frozenset[str]], extra: str = "") -> str:
    # union_by_name costs a little on every scan: only ask for it when the files' columns differ.
    by_name = ", union_by_name = true" if len(column_sets) > 1 else ""
    return f"read_parquet([{', '.join(sql_literal(str(p)) for p in files)}]{by_name}{extra})"


def view_sql(table: str, files: list[Path], column_sets: set[frozenset[str]], dedupe: bool = False) -> str:
    """CREATE VIEW over the good files, with NULL columns for canonical columns none of them has.

    `dedupe`: leave out the rows listed in `_duplicate_rows` (a sample id seen before; docs/ARCHITECTURE.md,
    "Each sample id counts once").
    """
    cols = canonical_columns(table, set().union(*column_sets))
    if files and dedupe:
        source = (
            f"{read_parquet(files, column_sets, ', filename = true, file_row_number = true')} AS r "
            "ANTI JOIN _duplicate_rows AS d ON d.filename = r.filename AND d.file_row_number = r.file_row_number"
        )
        cols = [c if " AS " in c else f"r.{c}" for c in cols]
        where = ""
    elif files:
        source, where = read_parquet(files, column_sets), ""
    else:
        source, where = "(SELECT 1)", " WHERE false"
    return f"CREATE OR REPLACE VIEW {table} AS SELECT {', '.join(cols)} FROM {source}{where}"


def delta_files_sql(table: str, files: list[Path], column_sets: set[frozenset[str]]) -> str:
    """CREATE VIEW `_delta_<table>` over the good data files of a Delta table read as Parquet (no row when none is
    good); `delta_view_sql` puts the canonical columns on it."""
    source = read_parquet(files, column_sets) if files else "(SELECT 1 WHERE false)"
    return f"CREATE OR REPLACE VIEW _delta_{table} AS SELECT * FROM {source}"


def delta_view_sql(table: str, present: set[str], dedupe: bool = False) -> str:
    """CREATE VIEW over a Delta table's dataset (registered as `_delta_<table>`), canonical columns NULL where the
    table has none. `dedupe`: one row per sample id, the first by created_at, run_id, source (a Delta table's rows
    have no file order; docs/ARCHITECTURE.md, "Each sample id counts once")."""
    cols = ", ".join(canonical_columns(table, present))
    source = f"_delta_{table}"
    if dedupe:
        order = ", ".join(f"{c} NULLS LAST" for c in ("created_at", "run_id", "source") if c in present)
        source = (
            f"(SELECT * FROM {source} QUALIFY row_number() OVER "
            f"(PARTITION BY sample_id ORDER BY {order or 'sample_id'}) = 1)"
        )
    return f"CREATE OR REPLACE VIEW {table} AS SELECT {cols} FROM {source}"
