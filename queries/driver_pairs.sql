-- Drivers (evalboard/drivers.py): which scenario variables determine one another in the view. Per ordered pair of
-- variables: how many distinct values each has and how many distinct value pairs occur together, counted over the
-- distinct combinations of scenario, family and conditions among the graded samples (a few hundred rows however
-- many samples): `pairs` = `values` means each value of `variable` comes with one value of `other`.
WITH combos AS (
    SELECT row_number() OVER () AS combo, scenario, scenario_family, conditions
    FROM (
        SELECT DISTINCT scenario, scenario_family, conditions
        FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $source)
        WHERE harmful IS NOT NULL
    )
),
vals AS (
    SELECT combo, v.variable AS variable, v.value AS value
    FROM (SELECT combo, unnest(variable_values(scenario, scenario_family, conditions)) AS v FROM combos)
    WHERE v.value IS NOT NULL
)
SELECT
    a.variable AS variable,
    b.variable AS other,
    count(DISTINCT a.value)::BIGINT AS "values",
    count(DISTINCT b.value)::BIGINT AS other_values,
    count(DISTINCT (a.value, b.value))::BIGINT AS pairs
FROM vals AS a
JOIN vals AS b ON a.combo = b.combo AND a.variable <> b.variable
GROUP BY ALL
ORDER BY variable, other;
