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
    sum(n)::BIGINT AS n,
    sum(k)::BIGINT AS k,
    (sum(total) - sum(n))::BIGINT AS ungraded
FROM view_counts([], [], [], $families, $graders, $source)
GROUP BY snapshot, intervention, training_stage, stage_step, scenario_family
ORDER BY snapshot, intervention, stage_rank, stage_step, scenario_family;
