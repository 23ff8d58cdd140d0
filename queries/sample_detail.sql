-- Everything the samples table holds about one sample.
SELECT *
FROM samples
WHERE sample_id = $sample_id;
