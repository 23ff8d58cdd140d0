-- Every verdict on one sample, oldest first: the primary one, each row of every imported source and every human
-- review. `counted` marks the row each source's rates use (its latest verdict, see macros.sql).
WITH given AS (
    SELECT 'primary' AS source, harmful, score, explanation, grader, created_at
    FROM samples
    WHERE sample_id = $sample_id
    UNION ALL
    SELECT source, harmful, score, explanation, grader, created_at
    FROM source_verdicts
    WHERE sample_id = $sample_id
)
SELECT
    g.*,
    g.source = 'primary' OR EXISTS (
        SELECT 1
        FROM latest_verdicts AS l
        WHERE l.sample_id = $sample_id
          AND l.source = g.source
          AND l.created_at IS NOT DISTINCT FROM g.created_at
          AND l.harmful IS NOT DISTINCT FROM g.harmful
          AND l.grader IS NOT DISTINCT FROM g.grader
          AND l.explanation IS NOT DISTINCT FROM g.explanation
    ) AS counted
FROM given AS g
ORDER BY g.source <> 'primary', g.created_at NULLS FIRST, g.source;
