-- One page of the samples behind a chart cell. Reads no transcript bytes (see samples_matching.sql).
-- $sort: 'conditions' | 'score_desc' | 'score_asc'.
SELECT
    sample_id, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    harmful, grader, score, split_part(coalesce(explanation, ''), chr(10), 1) AS explanation,
    count(*) OVER () AS total
FROM requested_cell($cell)
ORDER BY list_order($sort, score, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    sample_id)
LIMIT $limit OFFSET $offset;
