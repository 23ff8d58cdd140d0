-- Headline counts for the data-health page.
SELECT
    count(*) AS samples,
    count(harmful) AS graded,
    count(*) - count(harmful) AS ungraded,
    count(DISTINCT snapshot) AS snapshots,
    count(DISTINCT intervention) AS interventions,
    count(DISTINCT scenario_family) AS families,
    min(created_at) AS first_sample,
    max(created_at) AS last_sample
FROM samples;
