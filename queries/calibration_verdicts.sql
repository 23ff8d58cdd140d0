-- Every source's verdict (primary included, human apart) on each transcript of the calibration sample in force.
WITH draw AS (
    SELECT sample_id
    FROM calibration
    WHERE draw_id = (SELECT draw_id FROM calibration ORDER BY created_at DESC NULLS LAST, draw_id DESC LIMIT 1)
)
SELECT d.sample_id, 'primary' AS source, s.harmful
FROM draw AS d
JOIN samples AS s USING (sample_id)
UNION ALL
SELECT d.sample_id, v.source, v.harmful
FROM draw AS d
JOIN latest_verdicts AS v USING (sample_id)
WHERE v.source <> 'human'
ORDER BY source, sample_id;
