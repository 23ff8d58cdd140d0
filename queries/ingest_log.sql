-- What each `evalboard ingest` run brought in, per source, newest first ($path: the dataset's ingest_log.jsonl).
-- The columns are named, so a key missing from every line (e.g. `quarantine` when nothing was rejected, or
-- fields older ingests did not write) reads as NULL instead of failing. A line that is not a JSON record (cut short
-- by a full disk or a kill) is skipped, not fatal: the store names it (`Health.ingest_log_problems`).
SELECT
    source, format, records, imported, ungraded, already_present, rejected, unknown_count, problem, quarantine,
    finished_at
FROM read_json(
    $path,
    format = 'newline_delimited',
    columns = {
        source: 'VARCHAR', format: 'VARCHAR', records: 'BIGINT', imported: 'BIGINT', ungraded: 'BIGINT',
        already_present: 'BIGINT', rejected: 'BIGINT', unknown_count: 'BOOLEAN', problem: 'VARCHAR',
        quarantine: 'VARCHAR', finished_at: 'VARCHAR'
    },
    ignore_errors = true
)
WHERE source IS NOT NULL
ORDER BY finished_at DESC, source;
