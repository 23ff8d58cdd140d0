-- Which sample_ids of the batch being written (`batch`, registered by the ingest writer) are already in the
-- dataset's files ($files), and the first file this ingest ($ingest: its file-name prefix) wrote each to,
-- if it did. A semi-join in DuckDB: the dataset's ids are never loaded into Python. $lo/$hi are the batch's
-- smallest and largest id: the range test lets Parquet min/max statistics skip files and row groups.
SELECT
    sample_id,
    min(parse_filename(filename)) FILTER (WHERE starts_with(parse_filename(filename), $ingest)) AS ours
FROM read_parquet($files, filename = true, union_by_name = true)
WHERE sample_id BETWEEN $lo AND $hi AND sample_id IN (SELECT sample_id FROM batch)
GROUP BY sample_id;
