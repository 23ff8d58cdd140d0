-- Harmful-action rate in each scenario family × intervention cell of the current view.
SELECT
    scenario_family,
    intervention,
    sum(n)::BIGINT AS n,
    sum(k)::BIGINT AS k
FROM view_counts($snapshots, $interventions, $stages, $families, $graders, $source)
GROUP BY scenario_family, intervention
ORDER BY scenario_family, intervention;
