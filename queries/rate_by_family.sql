-- Harmful-action rate in each scenario family × intervention cell of the current view.
SELECT
    scenario_family,
    intervention,
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k
FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $source)
GROUP BY scenario_family, intervention
ORDER BY scenario_family, intervention;
