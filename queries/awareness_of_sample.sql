-- Every eval-awareness label of one sample, one row per source and label, newest first within a source.
SELECT source, awareness, score, evidence, explanation, created_at
FROM awareness
WHERE sample_id = $sample_id
ORDER BY source, created_at DESC NULLS LAST;
