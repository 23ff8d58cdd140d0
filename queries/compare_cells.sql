-- Counts per snapshot × intervention × checkpoint × scenario family under the sidebar's family and grader
-- filters. The Compare page cuts its A/B table, through-training series and stacking view from this one
-- small frame; intervals come from stats.py. n counts graded samples only.
WITH counts AS (SELECT * FROM view_counts([], [], [], $families, $graders, $source))
SELECT snapshot, intervention, training_stage, stage_step, stage_rank, scenario_family, n, k, ungraded
FROM checkpoint_counts('counts', true)
ORDER BY snapshot, intervention, stage_rank, stage_step, scenario_family;
