-- How many of the view's transcripts each verdict source judged (gave a verdict on), primary included.
WITH v AS (
    SELECT sample_id, harmful
    FROM filtered_samples($snapshots, $interventions, $stages, $families, $graders)
)
SELECT 'primary' AS source, count(*) AS transcripts, count(harmful) AS judged
FROM v
UNION ALL
SELECT l.source, (SELECT count(*) FROM v) AS transcripts, count(l.harmful) AS judged
FROM v
JOIN latest_verdicts AS l USING (sample_id)
GROUP BY l.source
ORDER BY source;
