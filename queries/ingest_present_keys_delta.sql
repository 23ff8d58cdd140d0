-- Which (sample_id, source) keys of the batch (`batch`, registered by the ingest writer) a further Delta table
-- (verdicts, awareness) already holds (`present`: its current snapshot), as ingest_present_ids_delta.
SELECT t.sample_id, t.source
FROM present AS t
SEMI JOIN batch AS b ON t.sample_id = b.sample_id AND t.source = b.source
GROUP BY t.sample_id, t.source;
