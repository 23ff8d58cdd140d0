-- Which (sample_id, source) keys of the batch (`batch`, registered by the ingest writer) a further table
-- (verdicts, awareness) already holds in its files ($files). A semi-join in DuckDB, as ingest_present_ids.
SELECT t.sample_id, t.source
FROM read_parquet($files, union_by_name = true) AS t
SEMI JOIN batch AS b ON t.sample_id = b.sample_id AND t.source = b.source
GROUP BY t.sample_id, t.source;
