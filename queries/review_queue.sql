-- The review queue: transcripts of the view on which sources $x and $y disagree and that no human has reviewed yet
-- (any review, unsure included, takes a transcript off the queue). In the lists' order by conditions (list_order),
-- $limit rows.
WITH x AS (
    SELECT sample_id, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch, harmful
    FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $x)
), y AS (
    SELECT sample_id, harmful
    FROM view_samples($snapshots, $interventions, $stages, $families, $graders, $y)
)
SELECT
    x.sample_id, x.snapshot, x.intervention, x.training_stage, x.stage_step, x.scenario_family, x.scenario, x.epoch,
    x.harmful AS x_harmful, y.harmful AS y_harmful,
    count(*) OVER () AS total
FROM x JOIN y USING (sample_id)
WHERE x.harmful <> y.harmful
  AND x.sample_id NOT IN (SELECT sample_id FROM reviews)
ORDER BY list_order('conditions', NULL, x.snapshot, x.intervention, x.training_stage, x.stage_step, x.scenario_family,
    x.scenario, x.epoch, x.sample_id)
LIMIT $limit;
