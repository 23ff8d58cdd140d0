-- Two verdict sources ($x, $y) on the samples of the view, per scenario family × intervention: how many samples each
-- graded, and the 2×2 table on the samples both graded (x_only = harmful under x only, y_only = under y only).
-- Each source's verdict comes from view_samples, so each transcript counts once per source (its latest verdict).
WITH x AS (
    SELECT sample_id, scenario_family, intervention, harmful
    FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $x)
), y AS (
    SELECT sample_id, harmful
    FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $y)
)
SELECT
    scenario_family,
    intervention,
    count(*) AS samples,
    count(x.harmful) AS x_graded,
    count(y.harmful) AS y_graded,
    count(*) FILTER (WHERE x.harmful AND y.harmful) AS both_harmful,
    count(*) FILTER (WHERE x.harmful AND NOT y.harmful) AS x_only,
    count(*) FILTER (WHERE NOT x.harmful AND y.harmful) AS y_only,
    count(*) FILTER (WHERE NOT x.harmful AND NOT y.harmful) AS neither
FROM x JOIN y USING (sample_id)
GROUP BY scenario_family, intervention
ORDER BY scenario_family, intervention;
