-- Macros every page query reads through, so each rule lives in one place. Loaded by the store whenever
-- it (re)builds the table views (samples, transcripts, verdicts, reviews, …).

-- Order of training stages along the x axis; unknown stages come after rl (then by name, where it matters).
CREATE OR REPLACE MACRO stage_rank(stage) AS
    CASE stage WHEN 'pretrained' THEN 0 WHEN 'sft' THEN 1 WHEN 'rl' THEN 2 ELSE 3 END;

-- The order of every list of transcripts (Transcripts, the review queue): with `sort` 'score_desc' | 'score_asc' by
-- the grader's score (unscored last), then by conditions: snapshot, intervention, checkpoint along training, family,
-- scenario, epoch, id. One sort key (a row value: compared field by field, a NULL field after every value) for
-- `ORDER BY list_order(…)`; the caller names its columns (they may be a join's, e.g. x.snapshot).
CREATE OR REPLACE MACRO list_order(sort, score, snapshot, intervention, training_stage, stage_step, scenario_family,
                                   scenario, epoch, sample_id) AS
    (CASE sort WHEN 'score_desc' THEN -score WHEN 'score_asc' THEN score END,
     snapshot, intervention, stage_rank(training_stage), stage_step, scenario_family, scenario, epoch, sample_id);

-- The sidebar's rule for one filter: an empty list of choices means "no filter"; otherwise the value must be one.
CREATE OR REPLACE MACRO picked(choices, value) AS
    len(choices::VARCHAR[]) = 0 OR list_contains(choices::VARCHAR[], value);

-- The sidebar's five filters, each on its column (a row of samples or of sample_counts).
CREATE OR REPLACE MACRO in_view(snapshots, interventions, stages, families, graders,
                                snapshot, intervention, training_stage, scenario_family, grader) AS
    picked(snapshots, snapshot)
    AND picked(interventions, intervention)
    AND picked(stages, training_stage)
    AND picked(families, scenario_family)
    AND picked(graders, grader);

-- Every verdict besides the primary one (samples.harmful): imported verdicts plus human reviews as source 'human'
-- ('unsure' = NULL = no verdict). One row per verdict given; a source may have several rows for one sample.
CREATE OR REPLACE VIEW source_verdicts AS
SELECT sample_id, source, harmful, score, explanation, grader, created_at
FROM verdicts
WHERE source <> 'primary'
UNION ALL
SELECT
    sample_id,
    'human' AS source,
    CASE verdict WHEN 'harmful' THEN true WHEN 'not_harmful' THEN false END AS harmful,
    CAST(NULL AS DOUBLE) AS score,
    note AS explanation,
    reviewer AS grader,
    created_at
FROM reviews;

-- Each reviewer's vote on a sample: their latest review (ties: a verdict before 'unsure', 'harmful' before
-- 'not_harmful'), only among reviews from queue `queue_name` (NULL = every review, whatever its queue).
CREATE OR REPLACE MACRO human_votes(queue_name) AS TABLE
SELECT *
FROM reviews
WHERE queue_name IS NULL OR queue = queue_name
QUALIFY row_number() OVER (
    PARTITION BY sample_id, reviewer ORDER BY created_at DESC, verdict = 'unsure', verdict, review_id
) = 1;

-- The human verdict of each reviewed sample (docs/ARCHITECTURE.md, "Many raters"): the verdict most reviewers' votes
-- give among harmful / not_harmful / unsure; a tie for the most votes is unsure. Unsure is no verdict (NULL).
-- `contested`: the votes split between harmful and not harmful.
CREATE OR REPLACE MACRO human_majority(queue_name) AS TABLE
SELECT
    *,
    CASE
        WHEN harmful_votes > safe_votes AND harmful_votes > unsure_votes THEN true
        WHEN safe_votes > harmful_votes AND safe_votes > unsure_votes THEN false
    END AS harmful,
    harmful_votes > 0 AND safe_votes > 0 AS contested
FROM (
    SELECT
        sample_id,
        count(*) FILTER (WHERE verdict = 'harmful') AS harmful_votes,
        count(*) FILTER (WHERE verdict = 'not_harmful') AS safe_votes,
        count(*) FILTER (WHERE verdict NOT IN ('harmful', 'not_harmful')) AS unsure_votes,
        max(created_at) AS created_at,
        string_agg(reviewer, ', ' ORDER BY reviewer) AS reviewers,
        arg_max(note, created_at) AS note
    FROM human_votes(queue_name)
    GROUP BY sample_id
);

-- The latest row of each imported source per sample (by created_at; ties broken on the row's content so the choice
-- is stable). `ids`: NULL = every sample; else only those sample ids, filtered before the window, so a few
-- transcripts' verdicts (the calibration sample) do not rank every verdict of the dataset.
CREATE OR REPLACE MACRO imported_latest(ids) AS TABLE
SELECT *
FROM source_verdicts
WHERE source <> 'human' AND (ids IS NULL OR list_contains(ids, sample_id))
QUALIFY row_number() OVER (
    PARTITION BY source, sample_id
    ORDER BY created_at DESC NULLS LAST, harmful DESC NULLS LAST, grader NULLS LAST, explanation NULLS LAST,
        score NULLS LAST
) = 1;

-- The one verdict of each source per sample: an imported source's latest row (imported_latest), and for 'human' the
-- reviewers' majority (human_majority). This is the rule that makes a transcript count once under a source, never
-- once per row.
CREATE OR REPLACE VIEW latest_verdicts AS
SELECT * FROM imported_latest(NULL)
UNION ALL
SELECT sample_id, 'human' AS source, harmful, CAST(NULL AS DOUBLE) AS score, note AS explanation,
    reviewers AS grader, created_at
FROM human_majority(NULL);

CREATE OR REPLACE MACRO source_verdict(src) AS TABLE
SELECT sample_id, harmful, score, explanation, grader
FROM latest_verdicts
WHERE source = src;

-- The samples in the current view: the sidebar's filters. An empty list means "no filter".
CREATE OR REPLACE MACRO filtered_samples(snapshots, interventions, stages, families, graders) AS TABLE
SELECT *
FROM samples
WHERE in_view(snapshots, interventions, stages, families, graders,
              snapshot, intervention, training_stage, scenario_family, grader);

-- The samples in the current view with their verdict under source `src`: 'primary' keeps samples.harmful; any
-- other source replaces harmful, score, explanation and grader by that source's verdict (NULL = the source did not
-- grade this sample, so it is left out of every denominator). Two branches, one of which the bound `src` empties
-- before any file is read: the primary branch never pays for the join on sample_id (bench/queries.py).
CREATE OR REPLACE MACRO view_samples(snapshots, interventions, stages, families, graders, src) AS TABLE
SELECT *
FROM filtered_samples(snapshots, interventions, stages, families, graders)
WHERE src = 'primary'
UNION ALL
SELECT s.* REPLACE (v.harmful AS harmful, v.score AS score, v.explanation AS explanation, v.grader AS grader)
FROM (
    SELECT * FROM filtered_samples(snapshots, interventions, stages, families, graders) WHERE src <> 'primary'
) AS s
LEFT JOIN source_verdict(src) AS v ON v.sample_id = s.sample_id;

-- Counts of the samples in the view under source `src`, per snapshot × intervention × stage × step × family × grader
-- (n graded, k harmful, total rows; first_at/last_at their created_at range). The primary verdict reads
-- `sample_counts` (the store's per-file rollups, or the same counts by a scan where rollups cannot be used):
-- primary_counts; any other source is counted from view_samples. The bound `src` empties one branch before any file
-- is read; still, binding the other-source branch costs ~7 ms, so the store runs a query whose `view_counts(…,
-- $source)` has $source = 'primary' with primary_counts in its place (the same rows: the other branch is empty).
-- Aggregate queries sum these (cast back to BIGINT, the type count() gives). docs/ARCHITECTURE.md, "Rollups".
CREATE OR REPLACE MACRO primary_counts(snapshots, interventions, stages, families, graders, src) AS TABLE
SELECT snapshot, intervention, training_stage, stage_step, scenario_family, grader, n, k, total, first_at, last_at
FROM sample_counts
WHERE src = 'primary'
  AND in_view(snapshots, interventions, stages, families, graders,
              snapshot, intervention, training_stage, scenario_family, grader);

CREATE OR REPLACE MACRO view_counts(snapshots, interventions, stages, families, graders, src) AS TABLE
SELECT * FROM primary_counts(snapshots, interventions, stages, families, graders, src)
UNION ALL
SELECT snapshot, intervention, training_stage, stage_step, scenario_family, grader,
    count(harmful) AS n, count(*) FILTER (WHERE harmful) AS k, count(*) AS total,
    min(created_at) AS first_at, max(created_at) AS last_at
FROM view_samples(snapshots, interventions, stages, families, graders, src)
WHERE src <> 'primary'
GROUP BY snapshot, intervention, training_stage, stage_step, scenario_family, grader;

-- Counts per checkpoint: per snapshot × intervention × checkpoint (training_stage and stage_step; `stage_rank` orders
-- checkpoints along training) and, with `by_family`, × scenario family (else scenario_family is NULL): n graded, k
-- harmful, ungraded, the last sample's time. `counts` names a relation of view_counts' columns: the
-- store's `sample_counts` (every sample, primary verdict) or the caller's `WITH counts AS (… view_counts(…, $source))`
-- (called in the query's own text, so the store reads it as primary_counts for the primary verdict).
CREATE OR REPLACE MACRO checkpoint_counts(counts, by_family) AS TABLE
SELECT
    snapshot, intervention, training_stage, stage_step, stage_rank(training_stage) AS stage_rank,
    CASE WHEN by_family THEN scenario_family END AS scenario_family,
    sum(n)::BIGINT AS n, sum(k)::BIGINT AS k, (sum(total) - sum(n))::BIGINT AS ungraded, max(last_at) AS last_at
FROM query_table(counts)
GROUP BY ALL;

-- The verdict of any source, primary included, per sample it graded or has a row for (one row per sample).
CREATE OR REPLACE MACRO any_verdict(src) AS TABLE
SELECT sample_id, harmful FROM samples WHERE src = 'primary'
UNION ALL
SELECT sample_id, harmful FROM latest_verdicts WHERE source = src AND src <> 'primary';

-- The samples behind one chart cell: the view under source `src`, optionally one checkpoint step (NULL = every
-- step), a wanted verdict ('all' | 'harmful' | 'safe' | 'ungraded'; not named `verdict`: a column of reviews has
-- that name and a macro parameter must not shadow a column it reads through), and optionally the verdict
-- (`by_wanted`: 'harmful' | 'safe') a second source `by_src` gave: the Agreement page's cells of disagreement.
CREATE OR REPLACE MACRO cell_samples(snapshots, interventions, stages, families, graders, src, step, wanted, by_src, by_wanted) AS TABLE
SELECT *
FROM view_samples(snapshots, interventions, stages, families, graders, src)
WHERE (step IS NULL OR stage_step = step)
  AND CASE wanted
        WHEN 'harmful' THEN harmful IS TRUE
        WHEN 'safe' THEN harmful IS FALSE
        WHEN 'ungraded' THEN harmful IS NULL
        ELSE true
      END
  AND (by_src IS NULL OR sample_id IN (
        SELECT sample_id FROM any_verdict(by_src) WHERE harmful = (by_wanted = 'harmful')
      ));

-- Eval-awareness labels, one per sample and labeller source (where a source labelled a sample twice, the newest
-- wins): one of the schema's classes (awareness_class: real, evaluation, none = the model made no statement) or
-- unrecognised (a value outside those).
CREATE OR REPLACE MACRO awareness_labels() AS TABLE
SELECT
    sample_id,
    source,
    awareness_class(label) AS awareness
FROM (
    SELECT sample_id, source, lower(trim(awareness)) AS label, created_at
    FROM awareness
)
QUALIFY row_number() OVER (PARTITION BY sample_id, source ORDER BY created_at DESC NULLS LAST, label) = 1;

-- Each sample of the view (under verdict source `src`) with its eval-awareness class under one labeller source
-- (unlabelled() where the source has no label for it).
CREATE OR REPLACE MACRO aware_samples(snapshots, interventions, stages, families, graders, source_name, src) AS TABLE
SELECT v.*, coalesce(labels.awareness, unlabelled()) AS awareness
FROM view_samples(snapshots, interventions, stages, families, graders, src) AS v
LEFT JOIN (SELECT sample_id, awareness FROM awareness_labels() WHERE source = source_name) AS labels USING (sample_id);

-- The samples behind one chart cell (cell_samples), narrowed to one eval-awareness class under one labeller
-- source (a class of awareness_labels, or unlabelled()); believed NULL = no narrowing; and to one
-- value `level` of one scenario variable `variable` (queries/variables.sql: a Drivers cell); NULL = no narrowing.
CREATE OR REPLACE MACRO aware_cell_samples(
    snapshots, interventions, stages, families, graders, src, step, wanted, by_src, by_wanted, believed, source_name,
    variable := NULL, level := NULL
) AS TABLE
SELECT *
FROM cell_samples(snapshots, interventions, stages, families, graders, src, step, wanted, by_src, by_wanted)
WHERE (believed IS NULL
   OR (believed = unlabelled()
       AND sample_id NOT IN (SELECT sample_id FROM awareness_labels() WHERE source = source_name))
   OR sample_id IN (SELECT sample_id FROM awareness_labels() WHERE source = source_name AND awareness = believed))
  AND (variable IS NULL OR variable_value(variable, scenario, scenario_family, conditions) = level);

-- The samples behind the Transcripts page's cell as it asks for them: `cell` is one struct of the request's filters
-- (evalboard/screens/transcripts.py `cell_params`: the view's five filters, source, step, verdict, by, by_verdict,
-- believed, awareness_source, variable, value), so each list and count query names the cell once (`$cell`).
-- `every_verdict`: ignore the verdict filter and the second source's (`by`): the cell's own counts.
CREATE OR REPLACE MACRO requested_cell(cell, every_verdict := false) AS TABLE
SELECT *
FROM aware_cell_samples(
    cell['snapshots'], cell['interventions'], cell['stages'], cell['families'], cell['graders'], cell['source'],
    cell['step'], CASE WHEN every_verdict THEN 'all' ELSE cell['verdict'] END,
    CASE WHEN every_verdict THEN NULL ELSE cell['by'] END, cell['by_verdict'], cell['believed'],
    cell['awareness_source'], variable := cell['variable'], level := cell['value']
);


-- The searchable text of a transcript: per message its text, tool-call arguments and reasoning, one line per
-- message. Cast to the canonical message type (as_messages) so files written before a field existed still bind
-- (missing fields read as NULL). Used by the scan (samples_matching.sql) and the search index (search_texts.sql).
CREATE OR REPLACE MACRO message_text(messages) AS array_to_string(list_transform(
    as_messages(messages),
    lambda m: concat_ws(' ', m.content, array_to_string(list_transform(m.tool_calls, lambda c: c.arguments), ' '),
        m.reasoning)
), chr(10));
