-- Counts per snapshot × intervention × checkpoint × scenario family under the sidebar's family and grader
-- filters. The Compare page cuts its A/B table, through-training series and stacking view from this one
-- small frame; intervals come from stats.py. n counts graded samples only.
SELECT
    snapshot,
    intervention,
    training_stage,
    stage_step,
    stage_rank(training_stage) AS stage_rank,
    scenario_family,
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k,
    count(*) - count(harmful) AS ungraded
FROM view_samples([], [], [], $families, $graders, $source)
GROUP BY snapshot, intervention, training_stage, stage_step, scenario_family
ORDER BY snapshot, intervention, stage_rank, stage_step, scenario_family;
