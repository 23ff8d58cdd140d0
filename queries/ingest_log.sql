-- What each `evalboard ingest` run brought in, per source, newest first ($path: the dataset's ingest_log.jsonl).
SELECT
    source, format, records, imported, ungraded, already_present, rejected, quarantine, finished_at
FROM read_json($path, format = 'newline_delimited', union_by_name = true)
ORDER BY finished_at DESC, source;
