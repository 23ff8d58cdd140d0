-- One page of the samples behind a chart cell that the search index found (evalboard/data/search.py): the caller
-- registers their ids as the relation `search_hits` (sample_id). Same columns and order as samples_matching.sql
-- except the passage, which the index supplies. $ids: the same ids as a list when there are few (else empty): the
-- join alone makes DuckDB read every row's columns, the list lets it filter while reading (evalboard/screens/transcripts.py).
-- $lo, $hi: the least and greatest of the ids (NULL when none), implied by the join; the Parquet reader skips the
-- row groups whose sample_id statistics lie outside them.
SELECT
    sample_id, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    harmful, grader, score, split_part(coalesce(explanation, ''), chr(10), 1) AS explanation,
    count(*) OVER () AS total
FROM requested_cell($cell)
WHERE sample_id IN (SELECT sample_id FROM search_hits) AND sample_id BETWEEN $lo AND $hi
  AND (len($ids) = 0 OR list_contains($ids, sample_id))
ORDER BY list_order($sort, score, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    sample_id)
LIMIT $limit OFFSET $offset;
