"""The suite's S3 server is real and local: a Delta table written to it reads back, through DuckDB too."""

import duckdb
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake


def test_a_delta_table_round_trips_through_the_local_s3_server(s3_bucket, s3_server):
    assert s3_server.startswith("http://127.0.0.1:")
    uri = f"{s3_bucket}/dataset/samples"
    write_deltalake(uri, pa.table({"sample_id": ["a", "b"]}), mode="append")
    write_deltalake(uri, pa.table({"sample_id": ["c"]}), mode="append")
    table = DeltaTable(uri)
    assert table.version() == 1
    dataset = table.to_pyarrow_dataset()  # noqa: F841  (read by name below)
    assert duckdb.sql("select count(distinct sample_id) from dataset").fetchall() == [(3,)]
