-- Step one of a page of many search hits (evalboard/screens/transcripts.py): the ids of one page of samples_matching_ids.sql and
-- the total it pages through, in the same order, reading only the join's and the sort's columns (not the long
-- explanation). The same cell, join, range and ORDER BY as samples_matching_ids.sql: change them together.
SELECT sample_id, count(*) OVER () AS total
FROM aware_cell_samples(
    $snapshots, $interventions, $stages, $families, $graders, $source, $step, $verdict, $by, $by_verdict, $believed, $awareness_source,
    variable := $variable, level := $value
)
WHERE sample_id IN (SELECT sample_id FROM search_hits) AND sample_id BETWEEN $lo AND $hi
ORDER BY
    CASE $sort WHEN 'score_desc' THEN -score WHEN 'score_asc' THEN score END NULLS LAST,
    snapshot, intervention, stage_rank(training_stage), stage_step, scenario_family, scenario, epoch, sample_id
LIMIT $limit OFFSET $offset;
