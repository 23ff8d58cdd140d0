-- Harmful count per scenario family at every checkpoint (snapshot × intervention × stage × step); the release
-- logic picks the final checkpoints. n counts samples graded under verdict source $source; ungraded ones are
-- reported apart.
SELECT
    snapshot,
    intervention,
    training_stage,
    stage_step,
    scenario_family,
    sum(n)::BIGINT AS n,
    sum(k)::BIGINT AS k,
    (sum(total) - sum(n))::BIGINT AS ungraded
FROM view_counts([], [], [], [], [], $source)
GROUP BY snapshot, intervention, training_stage, stage_step, scenario_family
ORDER BY snapshot, intervention, training_stage, stage_step, scenario_family;
