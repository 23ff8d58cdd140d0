-- Every source's verdict (primary included, human apart) on the transcripts $ids (the calibration sample in force).
SELECT sample_id, 'primary' AS source, harmful
FROM samples
WHERE list_contains($ids, sample_id)
UNION ALL
SELECT sample_id, source, harmful
FROM imported_latest($ids)
ORDER BY source, sample_id;
