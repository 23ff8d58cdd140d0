-- Trends through training and held-out generalisation (evalboard/screens/trends.py): counts per snapshot × intervention ×
-- checkpoint × scenario family in the view (view_counts: per-file rollups for the primary verdict).
WITH counts AS (SELECT * FROM view_counts($snapshots, $interventions, $stages, $families, $graders, $source))
SELECT snapshot, intervention, training_stage, stage_step, scenario_family, n, k
FROM checkpoint_counts('counts', true)
ORDER BY snapshot, intervention, stage_rank, stage_step, scenario_family;
