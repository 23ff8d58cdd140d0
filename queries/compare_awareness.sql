-- Counts of side A and side B (one snapshot × intervention × checkpoint each) per eval-awareness class under
-- one labeller source, pooled over the sidebar's families and graders.
SELECT 'A' AS side, awareness, count(harmful) AS n, count(*) FILTER (WHERE harmful) AS k
FROM aware_samples([$a_snapshot], [$a_intervention], [$a_stage], $families, $graders, $awareness_source, $source)
WHERE stage_step = $a_step
GROUP BY awareness
UNION ALL
SELECT 'B' AS side, awareness, count(harmful) AS n, count(*) FILTER (WHERE harmful) AS k
FROM aware_samples([$b_snapshot], [$b_intervention], [$b_stage], $families, $graders, $awareness_source, $source)
WHERE stage_step = $b_step
GROUP BY awareness
ORDER BY side, awareness;
