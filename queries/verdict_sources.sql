-- Every verdict source besides 'primary' (imported verdicts and 'human' reviews): the samples it holds a verdict
-- for and how many of those it graded (its latest verdict per sample is not NULL).
SELECT
    source,
    count(*) AS samples,
    count(harmful) AS graded,
    max(created_at) AS last_verdict
FROM latest_verdicts
GROUP BY source
ORDER BY source;
