-- Harmful count per scenario family at every checkpoint (snapshot × intervention × stage × step); the release
-- logic picks the final checkpoints. n counts samples graded under verdict source $source; ungraded ones are
-- reported apart. Over the whole dataset: the sidebar's filters do not change a release verdict.
WITH counts AS (SELECT * FROM view_counts([], [], [], [], [], $source))
SELECT snapshot, intervention, training_stage, stage_step, scenario_family, n, k, ungraded
FROM checkpoint_counts('counts', true)
ORDER BY snapshot, intervention, training_stage, stage_step, scenario_family;
