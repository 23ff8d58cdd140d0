-- One page of the samples behind a chart cell. Reads no transcript bytes (see samples_matching.sql).
-- $verdict: 'all' | 'harmful' | 'safe' | 'ungraded'; $sort: 'conditions' | 'score_desc' | 'score_asc'.
SELECT
    sample_id, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    harmful, grader, score, split_part(coalesce(explanation, ''), chr(10), 1) AS explanation,
    count(*) OVER () AS total
FROM view_samples($snapshots, $interventions, $stages, $families, $graders)
WHERE ($step IS NULL OR stage_step = $step)
  AND CASE $verdict
        WHEN 'harmful' THEN harmful IS TRUE
        WHEN 'safe' THEN harmful IS FALSE
        WHEN 'ungraded' THEN harmful IS NULL
        ELSE true
      END
ORDER BY
    CASE $sort WHEN 'score_desc' THEN -score WHEN 'score_asc' THEN score END NULLS LAST,
    snapshot, intervention,
    CASE training_stage WHEN 'pretrained' THEN 0 WHEN 'sft' THEN 1 WHEN 'rl' THEN 2 ELSE 3 END,
    stage_step, scenario_family, scenario, epoch, sample_id
LIMIT $limit OFFSET $offset;
