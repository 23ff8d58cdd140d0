-- The messages of the given sample ids ($ids) from a dataset's transcripts files ($files), for the Parquet
-- importer: a dataset folder's samples are joined with their transcripts batch by batch.
SELECT sample_id, messages
FROM read_parquet($files)
WHERE list_contains($ids, sample_id);
