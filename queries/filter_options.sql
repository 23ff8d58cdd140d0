-- Every value the sidebar can offer, per dimension, in display order (stages along training). Reads the
-- samples' counts (sample_counts: per-file rollups), not the samples themselves.
SELECT 'snapshot' AS dimension, snapshot AS value, max(last_at)::VARCHAR AS sort_key
FROM sample_counts GROUP BY snapshot
UNION ALL
SELECT 'intervention', intervention, intervention FROM sample_counts GROUP BY intervention
UNION ALL
SELECT 'stage', training_stage,
    stage_rank(training_stage)::VARCHAR || training_stage
FROM sample_counts GROUP BY training_stage
UNION ALL
SELECT 'family', scenario_family, scenario_family FROM sample_counts GROUP BY scenario_family
UNION ALL
SELECT 'grader', grader, grader FROM sample_counts WHERE grader IS NOT NULL GROUP BY grader
ORDER BY dimension, sort_key NULLS LAST, value;
