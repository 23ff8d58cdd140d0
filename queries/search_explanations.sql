-- The grader explanations in one samples or verdicts file, for the search index (evalboard/data/search.py).
-- $path is one of the dataset's own files, checked by the store (the caller skips files without the column).
SELECT sample_id, explanation AS body
FROM read_parquet($path)
WHERE coalesce(explanation, '') <> '';
