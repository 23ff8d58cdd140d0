-- Every value the sidebar can offer, per dimension, in display order (stages along training).
SELECT 'snapshot' AS dimension, snapshot AS value, max(created_at)::VARCHAR AS sort_key
FROM samples GROUP BY snapshot
UNION ALL
SELECT 'intervention', intervention, intervention FROM samples GROUP BY intervention
UNION ALL
SELECT 'stage', training_stage,
    stage_rank(training_stage)::VARCHAR || training_stage
FROM samples GROUP BY training_stage
UNION ALL
SELECT 'family', scenario_family, scenario_family FROM samples GROUP BY scenario_family
UNION ALL
SELECT 'grader', grader, grader FROM samples WHERE grader IS NOT NULL GROUP BY grader
ORDER BY dimension, sort_key NULLS LAST, value;
