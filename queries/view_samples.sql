-- The samples in the current view. Every page query reads through this table macro, so the
-- sidebar's filters live in one place. An empty list means "no filter" on that dimension.
CREATE OR REPLACE MACRO view_samples(snapshots, interventions, stages, families, graders) AS TABLE
SELECT *
FROM samples
WHERE (len(snapshots::VARCHAR[]) = 0 OR list_contains(snapshots::VARCHAR[], snapshot))
  AND (len(interventions::VARCHAR[]) = 0 OR list_contains(interventions::VARCHAR[], intervention))
  AND (len(stages::VARCHAR[]) = 0 OR list_contains(stages::VARCHAR[], training_stage))
  AND (len(families::VARCHAR[]) = 0 OR list_contains(families::VARCHAR[], scenario_family))
  AND (len(graders::VARCHAR[]) = 0 OR list_contains(graders::VARCHAR[], grader));
