-- One page of the samples behind a chart cell whose transcript (text, tool-call arguments, reasoning), grader
-- explanation (primary or a further verdict source's) or human review note contains $q (case-insensitive plain
-- substring, not a pattern), with the passage around the first match. A scan of the cell's transcripts: used
-- when the search index (samples_matching_ids.sql) cannot answer.
WITH notes AS (
    SELECT sample_id, string_agg(body, chr(10)) AS body
    FROM (
        SELECT sample_id, explanation AS body FROM verdicts WHERE coalesce(explanation, '') <> ''
        UNION ALL
        SELECT sample_id, note AS body FROM reviews WHERE coalesce(note, '') <> ''
    )
    GROUP BY sample_id
),
texts AS (
    SELECT
        cell.*,
        coalesce(cell.explanation, '') || chr(10) || coalesce(n.body || chr(10), '')
            || coalesce(message_text(t.messages), '') AS body
    FROM requested_cell($cell) AS cell
    LEFT JOIN notes AS n USING (sample_id)
    LEFT JOIN transcripts AS t USING (sample_id)
),
matched AS (  -- each sample once, even where its transcript is in two files (a copy): n and the list count samples
    SELECT *, strpos(lower(body), lower($q)) AS match_at
    FROM texts
    WHERE strpos(lower(body), lower($q)) > 0
    QUALIFY row_number() OVER (PARTITION BY sample_id ORDER BY strpos(lower(body), lower($q))) = 1
)
SELECT
    sample_id, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    harmful, grader, score, split_part(coalesce(explanation, ''), chr(10), 1) AS explanation,
    substr(body, greatest(1, match_at - 80), length($q) + 160) AS passage,
    count(*) OVER () AS total
FROM matched
ORDER BY list_order($sort, score, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    sample_id)
LIMIT $limit OFFSET $offset;
