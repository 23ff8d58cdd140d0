"""Reading a dataset's table in tests whichever its layout: a Delta table (local or s3://, through `deltalake`, the
files of its current snapshot only) or today's plain folder of Parquet files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from evalboard.core.location import DELTA_LOG, is_remote, storage_options
from evalboard.core.schema import SAMPLES


def is_delta(dataset: str | Path, table: str) -> bool:
    if is_remote(dataset):  # the constructor, not `is_deltatable` (which stalls the in-process S3 server)
        try:
            DeltaTable(f"{str(dataset).rstrip('/')}/{table}", storage_options=storage_options())
        except TableNotFoundError:
            return False
        return True
    return (Path(dataset) / table / DELTA_LOG).is_dir()


def files(dataset: str | Path, table: str) -> list[str]:
    """A local table's data files: a Delta table's current snapshot, else its folder's `*.parquet`."""
    if is_delta(dataset, table):
        return sorted(DeltaTable(str(Path(dataset) / table)).file_uris())
    return [str(p) for p in sorted((Path(dataset) / table).glob("*.parquet"))]


def read(dataset: str | Path, table: str) -> pa.Table:
    """Every row of a table (empty when it does not exist)."""
    if is_delta(dataset, table):
        uri = f"{str(dataset).rstrip('/')}/{table}"
        return DeltaTable(uri, storage_options=storage_options()).to_pyarrow_table()
    found = files(dataset, table)
    return pa.concat_tables([pq.read_table(f) for f in found]) if found else pa.table({})


def count(dataset: str | Path, table: str, key: str = "sample_id") -> tuple[int, int]:
    """(rows, distinct keys) of a table, counted by DuckDB over what `read` returns."""
    data = read(dataset, table)
    if data.num_rows == 0:
        return 0, 0
    with duckdb.connect() as con:
        con.register("t", data)
        return con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM t").fetchone()


def seed_plain(dataset: Path) -> None:
    """Make `dataset` an existing plain-Parquet dataset (one empty samples file): ingest keeps writing that layout."""
    (dataset / "samples").mkdir(parents=True)
    pq.write_table(SAMPLES.empty_table(), dataset / "samples" / "seed.parquet")
