-- Harmful-action rate per intervention for the current view. Returns counts; intervals come from stats.py.
-- n counts graded samples only; ungraded ones (harmful IS NULL) are reported apart.
SELECT
    intervention,
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k,
    count(*) - count(harmful) AS ungraded
FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $source)
GROUP BY intervention
ORDER BY intervention;
