-- Drivers (evalboard/screens/drivers.py): graded and harmful counts per scenario variable and value (queries/variables.sql)
-- in the view under verdict source $source, per snapshot × intervention × checkpoint (so an intervention meets
-- baseline at the checkpoints both reached) and per combination of scenario, family and conditions (`combo`: which
-- variables determine which is read from these). One scan of the view: the samples are grouped first (conditions by
-- their JSON text, which is exact and cheaper than grouping by the map), then each group's variables are unnested.
WITH cells AS (
    SELECT
        snapshot, intervention, training_stage, stage_step, scenario, scenario_family,
        to_json(conditions)::VARCHAR AS conditions_key,
        any_value(conditions) AS conditions,
        count(harmful)::BIGINT AS n,
        (count(*) FILTER (WHERE harmful))::BIGINT AS k
    FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $source)
    WHERE harmful IS NOT NULL
    GROUP BY snapshot, intervention, training_stage, stage_step, scenario, scenario_family, conditions_key
),
combos AS (
    SELECT *, dense_rank() OVER (ORDER BY scenario, scenario_family, conditions_key) AS combo
    FROM cells
)
SELECT v.variable AS variable, v.value AS value, combo, snapshot, intervention, training_stage, stage_step, n, k
FROM (SELECT *, unnest(variable_values(scenario, scenario_family, conditions)) AS v FROM combos)
WHERE v.value IS NOT NULL;
