-- Every verdict on one sample, oldest first: the primary one, each row of every imported source and every human
-- review. `counted` marks the rows each source's rates use: an imported source's latest verdict, and for 'human'
-- every reviewer's vote (their latest review), which the majority is taken over (see macros.sql).
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
          AND l.source <> 'human'
          AND l.created_at IS NOT DISTINCT FROM g.created_at
          AND l.harmful IS NOT DISTINCT FROM g.harmful
          AND l.grader IS NOT DISTINCT FROM g.grader
          AND l.explanation IS NOT DISTINCT FROM g.explanation
    ) OR (g.source = 'human' AND EXISTS (
        SELECT 1
        FROM human_votes(NULL) AS v
        WHERE v.sample_id = $sample_id
          AND v.reviewer IS NOT DISTINCT FROM g.grader
          AND v.created_at IS NOT DISTINCT FROM g.created_at
          AND v.note IS NOT DISTINCT FROM g.explanation
          AND (CASE v.verdict WHEN 'harmful' THEN true WHEN 'not_harmful' THEN false END)
              IS NOT DISTINCT FROM g.harmful
    )) AS counted
FROM given AS g
ORDER BY g.source <> 'primary', g.created_at NULLS FIRST, g.source;
