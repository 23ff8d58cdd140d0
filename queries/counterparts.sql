-- The same scenario and epoch at the same checkpoint, run by other snapshots or interventions:
-- the candidates for a side-by-side reading of one sample.
SELECT o.sample_id, o.snapshot, o.intervention, o.harmful
FROM samples AS s
JOIN samples AS o
  ON o.scenario_family = s.scenario_family
 AND o.scenario = s.scenario
 AND o.epoch = s.epoch
 AND o.training_stage = s.training_stage
 AND o.stage_step = s.stage_step
 AND o.sample_id <> s.sample_id
WHERE s.sample_id = $sample_id
ORDER BY o.snapshot, o.intervention
LIMIT 50;
