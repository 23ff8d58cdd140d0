-- Harmful-action rate per intervention and eval-awareness class (under one labeller source) for the view.
-- n counts graded samples only; intervals come from stats.py.
SELECT
    intervention,
    awareness,
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k,
    count(*) - count(harmful) AS ungraded
FROM aware_samples($snapshots, $interventions, $stages, $families, $graders, $awareness_source, $source)
GROUP BY intervention, awareness
ORDER BY intervention, awareness;
