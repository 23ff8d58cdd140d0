-- Harmful-action rate per intervention, training checkpoint and eval-awareness class (one labeller source).
SELECT
    intervention,
    training_stage,
    stage_step,
    stage_rank(training_stage) AS stage_rank,
    awareness,
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k
FROM aware_samples($snapshots, $interventions, $stages, $families, $graders, $awareness_source, $source)
GROUP BY intervention, training_stage, stage_step, awareness
ORDER BY stage_rank, stage_step, training_stage, intervention, awareness;
