-- Counts of the samples behind one chart cell (the view under verdict source $source, plus an optional checkpoint step).
SELECT
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k,
    count(*) - count(harmful) AS ungraded
FROM aware_cell_samples(
    $snapshots, $interventions, $stages, $families, $graders, $source, $step, 'all', NULL, NULL, $believed, $awareness_source
);
