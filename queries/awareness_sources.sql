-- Eval-awareness labeller sources in the dataset, most labels first, with how many samples each labelled.
SELECT source, count(DISTINCT sample_id) AS samples
FROM awareness
GROUP BY source
ORDER BY samples DESC, source;
