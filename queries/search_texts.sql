-- The searchable text of each transcript in one transcripts file, for the search index (evalboard/data/search.py).
-- $path is one of the dataset's own files, checked by the store.
SELECT sample_id, message_text(messages) AS body
FROM read_parquet($path)
WHERE messages IS NOT NULL;
