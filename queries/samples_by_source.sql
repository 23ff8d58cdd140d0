-- How many samples each source file contributed, graded and not.
SELECT source, count(*) AS samples, count(*) - count(harmful) AS ungraded
FROM samples
GROUP BY source
ORDER BY source;
