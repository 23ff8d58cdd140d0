-- Drivers (evalboard/drivers.py): graded and harmful counts per scenario variable and value (queries/variables.sql)
-- in the view under verdict source $source, per snapshot × intervention × checkpoint, so that an intervention is set
-- against baseline at the checkpoints both reached. One scan of the view's samples for every variable at once.
SELECT
    v.variable AS variable,
    v.value AS value,
    snapshot,
    intervention,
    training_stage,
    stage_step,
    count(harmful)::BIGINT AS n,
    (count(*) FILTER (WHERE harmful))::BIGINT AS k
FROM (
    SELECT snapshot, intervention, training_stage, stage_step, harmful,
        unnest(variable_values(scenario, scenario_family, conditions)) AS v
    FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $source)
    WHERE harmful IS NOT NULL
)
WHERE v.value IS NOT NULL
GROUP BY v.variable, v.value, snapshot, intervention, training_stage, stage_step
ORDER BY variable, value, snapshot, intervention, training_stage, stage_step;
