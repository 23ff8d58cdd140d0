-- Harmful-action rate per intervention at each training checkpoint, ordered along training.
-- stage_rank breaks ties between stages that share a step (pretrained and sft are both step 0).
SELECT
    intervention,
    training_stage,
    stage_step,
    stage_rank(training_stage) AS stage_rank,
    sum(n)::BIGINT AS n,
    sum(k)::BIGINT AS k
FROM view_counts($snapshots, $interventions, $stages, $families, $graders, $source)
GROUP BY intervention, training_stage, stage_step
ORDER BY stage_rank, stage_step, training_stage, intervention;
