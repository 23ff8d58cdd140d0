-- The notes of human reviews in one reviews file, for the search index (evalboard/data/search.py).
-- $path is one of the dataset's own files, checked by the store (the caller skips files without the column).
SELECT sample_id, note AS body
FROM read_parquet($path)
WHERE coalesce(note, '') <> '';
