-- Trends through training and held-out generalisation (evalboard/screens/trends.py): counts per snapshot × intervention ×
-- checkpoint × scenario family in the view (view_counts: per-file rollups for the primary verdict).
SELECT
    snapshot,
    intervention,
    training_stage,
    stage_step,
    scenario_family,
    sum(n)::BIGINT AS n,
    sum(k)::BIGINT AS k
FROM view_counts($snapshots, $interventions, $stages, $families, $graders, $source)
GROUP BY snapshot, intervention, training_stage, stage_step, scenario_family
ORDER BY snapshot, intervention, stage_rank(training_stage), stage_step, scenario_family;
