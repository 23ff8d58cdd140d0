-- Harmful-action rate per intervention for the current view. Returns counts; intervals come from stats.py.
-- n counts graded samples only; ungraded ones (harmful IS NULL) are reported apart.
SELECT
    intervention,
    sum(n)::BIGINT AS n,
    sum(k)::BIGINT AS k,
    (sum(total) - sum(n))::BIGINT AS ungraded
FROM view_counts($snapshots, $interventions, $stages, $families, $graders, $source)
GROUP BY intervention
ORDER BY intervention;
