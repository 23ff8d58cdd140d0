-- Counts of the samples behind one chart cell (the view under verdict source $source, plus an optional checkpoint step).
-- Without an eval-awareness class ($believed NULL) or a scenario variable's value ($variable NULL) from the samples' counts
-- (view_counts: per-file rollups for the primary verdict); with either, from the samples themselves. The bound
-- $believed and $variable empty one branch.
SELECT
    coalesce(sum(n), 0)::BIGINT AS n,
    coalesce(sum(k), 0)::BIGINT AS k,
    coalesce(sum(total) - sum(n), 0)::BIGINT AS ungraded
FROM view_counts($snapshots, $interventions, $stages, $families, $graders, $source)
WHERE $believed IS NULL AND $variable IS NULL AND ($step IS NULL OR stage_step = $step)
HAVING $believed IS NULL AND $variable IS NULL
UNION ALL
SELECT
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k,
    count(*) - count(harmful) AS ungraded
FROM requested_cell($cell, every_verdict := true)
WHERE $believed IS NOT NULL OR $variable IS NOT NULL
HAVING $believed IS NOT NULL OR $variable IS NOT NULL;
