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

-- The searchable text of a transcript: per message its text, tool-call arguments and reasoning, one line per
-- message. Cast to the canonical message type so files written before a field existed still bind (missing
-- fields read as NULL). Used by the scan (samples_matching.sql) and the search index (search_texts.sql).
CREATE OR REPLACE MACRO message_text(messages) AS array_to_string(list_transform(
    CAST(messages AS STRUCT(role VARCHAR, content VARCHAR, tool_calls STRUCT(id VARCHAR, "function" VARCHAR,
        arguments VARCHAR)[], tool_call_id VARCHAR, name VARCHAR, reasoning VARCHAR)[]),
    lambda m: concat_ws(' ', m.content, array_to_string(list_transform(m.tool_calls, lambda c: c.arguments), ' '),
        m.reasoning)
), chr(10));
