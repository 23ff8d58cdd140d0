-- Headline counts for the data-health page (from the samples' counts: per-file rollups).
SELECT
    coalesce(sum(total), 0)::BIGINT AS samples,
    coalesce(sum(n), 0)::BIGINT AS graded,
    coalesce(sum(total) - sum(n), 0)::BIGINT AS ungraded,
    count(DISTINCT snapshot) AS snapshots,
    count(DISTINCT intervention) AS interventions,
    count(DISTINCT scenario_family) AS families,
    min(first_at) AS first_sample,
    max(last_at) AS last_sample
FROM sample_counts;
