-- Macros every page query reads through, so each rule lives in one place. Loaded by the store whenever
-- it (re)builds the `samples` and `transcripts` views.

-- Order of training stages along the x axis; unknown stages come after rl (then by name, where it matters).
CREATE OR REPLACE MACRO stage_rank(stage) AS
    CASE stage WHEN 'pretrained' THEN 0 WHEN 'sft' THEN 1 WHEN 'rl' THEN 2 ELSE 3 END;

-- The samples in the current view: the sidebar's filters. An empty list means "no filter".
CREATE OR REPLACE MACRO view_samples(snapshots, interventions, stages, families, graders) AS TABLE
SELECT *
FROM samples
WHERE (len(snapshots::VARCHAR[]) = 0 OR list_contains(snapshots::VARCHAR[], snapshot))
  AND (len(interventions::VARCHAR[]) = 0 OR list_contains(interventions::VARCHAR[], intervention))
  AND (len(stages::VARCHAR[]) = 0 OR list_contains(stages::VARCHAR[], training_stage))
  AND (len(families::VARCHAR[]) = 0 OR list_contains(families::VARCHAR[], scenario_family))
  AND (len(graders::VARCHAR[]) = 0 OR list_contains(graders::VARCHAR[], grader));

-- The samples behind one chart cell: the view, optionally one checkpoint step (NULL = every step), and a
-- verdict ('all' | 'harmful' | 'safe' | 'ungraded').
CREATE OR REPLACE MACRO cell_samples(snapshots, interventions, stages, families, graders, step, verdict) AS TABLE
SELECT *
FROM view_samples(snapshots, interventions, stages, families, graders)
WHERE (step IS NULL OR stage_step = step)
  AND CASE verdict
        WHEN 'harmful' THEN harmful IS TRUE
        WHEN 'safe' THEN harmful IS FALSE
        WHEN 'ungraded' THEN harmful IS NULL
        ELSE true
      END;

-- Eval-awareness labels, one per sample and labeller source (where a source labelled a sample twice, the newest
-- wins): 'evaluation', 'real', 'none' (the model made no statement) or 'unrecognised' (a value outside those).
CREATE OR REPLACE MACRO awareness_labels() AS TABLE
SELECT
    sample_id,
    source,
    CASE WHEN label IN ('evaluation', 'real', 'none') THEN label ELSE 'unrecognised' END AS awareness
FROM (
    SELECT sample_id, source, lower(trim(awareness)) AS label, created_at
    FROM awareness
)
QUALIFY row_number() OVER (PARTITION BY sample_id, source ORDER BY created_at DESC NULLS LAST, label) = 1;

-- Each sample of the view with its eval-awareness class under one labeller source ('unlabelled' where the
-- source has no label for it).
CREATE OR REPLACE MACRO aware_samples(snapshots, interventions, stages, families, graders, source_name) AS TABLE
SELECT v.*, coalesce(labels.awareness, 'unlabelled') AS awareness
FROM view_samples(snapshots, interventions, stages, families, graders) AS v
LEFT JOIN (SELECT sample_id, awareness FROM awareness_labels() WHERE source = source_name) AS labels USING (sample_id);

-- The samples behind one chart cell (cell_samples), narrowed to one eval-awareness class under one labeller
-- source ('evaluation' | 'real' | 'none' | 'unrecognised' | 'unlabelled'); believed NULL = no narrowing.
CREATE OR REPLACE MACRO aware_cell_samples(
    snapshots, interventions, stages, families, graders, step, verdict, believed, source_name
) AS TABLE
SELECT *
FROM cell_samples(snapshots, interventions, stages, families, graders, step, verdict)
WHERE believed IS NULL
   OR (believed = 'unlabelled'
       AND sample_id NOT IN (SELECT sample_id FROM awareness_labels() WHERE source = source_name))
   OR sample_id IN (SELECT sample_id FROM awareness_labels() WHERE source = source_name AND awareness = believed);
