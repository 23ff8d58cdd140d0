-- Paired outcomes for McNemar's test: the same (scenario_family, scenario, epoch) on side A and side B.
-- a_only = harmful on A only, b_only = harmful on B only. A key graded more than once on a side (several
-- graders or runs) cannot be paired; it is counted in `ambiguous` and the page then offers no paired test.
WITH a AS (
    SELECT scenario_family, scenario, epoch, count(harmful) AS graded, bool_or(harmful) AS harmful
    FROM view_samples([$a_snapshot], [$a_intervention], [$a_stage], $families, $graders, $source)
    WHERE stage_step = $a_step
    GROUP BY scenario_family, scenario, epoch
), b AS (
    SELECT scenario_family, scenario, epoch, count(harmful) AS graded, bool_or(harmful) AS harmful
    FROM view_samples([$b_snapshot], [$b_intervention], [$b_stage], $families, $graders, $source)
    WHERE stage_step = $b_step
    GROUP BY scenario_family, scenario, epoch
)
SELECT
    scenario_family,
    count(*) FILTER (WHERE a.graded = 1 AND b.graded = 1) AS pairs,
    count(*) FILTER (WHERE a.graded = 1 AND b.graded = 1 AND a.harmful AND NOT b.harmful) AS a_only,
    count(*) FILTER (WHERE a.graded = 1 AND b.graded = 1 AND NOT a.harmful AND b.harmful) AS b_only,
    count(*) FILTER (WHERE a.graded > 1 OR b.graded > 1) AS ambiguous
FROM a JOIN b USING (scenario_family, scenario, epoch)
GROUP BY scenario_family
ORDER BY scenario_family;
