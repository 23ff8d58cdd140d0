-- Step one of a page of many search hits (evalboard/screens/transcripts.py): the ids of one page of samples_matching_ids.sql and
-- the total it pages through, in the same order, reading only the join's and the sort's columns (not the long
-- explanation). The same cell, join and range as samples_matching_ids.sql: change them together (the order is list_order's).
SELECT sample_id, count(*) OVER () AS total
FROM requested_cell($cell)
WHERE sample_id IN (SELECT sample_id FROM search_hits) AND sample_id BETWEEN $lo AND $hi
ORDER BY list_order($sort, score, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    sample_id)
LIMIT $limit OFFSET $offset;
