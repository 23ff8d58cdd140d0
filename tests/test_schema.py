import pyarrow as pa

from evalboard.core.schema import SAMPLES, validate_file, validate_table
from tests.helpers import sample, write_samples


def test_valid_file(tmp_path):
    check = validate_file(write_samples(tmp_path / "a.parquet", [sample(1)]), "samples")
    assert (check.rows, check.problem) == (1, None)
    assert "harmful" in check.columns
    assert check.id_ranges == (("t-000001", "t-000001"),)


def test_missing_column_is_named(tmp_path):
    schema = pa.schema([f for f in SAMPLES if f.name != "harmful"])
    path = write_samples(tmp_path / "a.parquet", [sample(1)], schema)
    problem = validate_file(path, "samples").problem
    assert problem.file == path and "missing column 'harmful'" in problem.reason


def test_wrong_type_is_named(tmp_path):
    schema = pa.schema([pa.field("stage_step", pa.string()) if f.name == "stage_step" else f for f in SAMPLES])
    path = write_samples(tmp_path / "a.parquet", [sample(1, stage_step="100")], schema)
    problem = validate_file(path, "samples").problem
    assert "column 'stage_step' has type string, expected int64" in problem.reason


def test_truncated_and_garbage_files(tmp_path):
    good = write_samples(tmp_path / "good.parquet", [sample(i) for i in range(50)])
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good.read_bytes()[:-100])
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet at all")
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    for path in (truncated, garbage, empty):
        problem = validate_file(path, "samples").problem
        assert problem is not None and "not a readable Parquet file" in problem.reason


def test_narrower_types_are_accepted():
    schema = pa.schema([pa.field("stage_step", pa.int32()) if f.name == "stage_step" else f for f in SAMPLES])
    table = pa.Table.from_pylist([sample(1)], schema=schema)
    assert validate_table(table) == []


def test_nulls_in_required_columns_are_reported():
    table = pa.Table.from_pylist([sample(1, snapshot=None)], schema=SAMPLES.set(2, pa.field("snapshot", pa.string())))
    assert validate_table(table) == ["column 'snapshot' has 1 null values"]
