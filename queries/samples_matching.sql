-- One page of the samples behind a chart cell whose transcript (text, reasoning, tool calls) or grader explanation
-- contains $q (case-insensitive plain substring, not a pattern), with the passage around the first match.
WITH texts AS (
    SELECT
        cell.*,
        coalesce(cell.explanation, '') || chr(10) || coalesce(array_to_string(list_transform(
            t.messages,
            lambda m: coalesce(m.content, '') || ' ' || coalesce(m.reasoning, '') || ' '
                || coalesce(array_to_string(list_transform(m.tool_calls, lambda c: c.arguments), ' '), '')
        ), chr(10)), '') AS body
    FROM aware_cell_samples(
        $snapshots, $interventions, $stages, $families, $graders, $source, $step, $verdict, $by, $by_verdict, $believed, $awareness_source
    ) AS cell
    LEFT JOIN transcripts AS t USING (sample_id)
),
matched AS (
    SELECT *, strpos(lower(body), lower($q)) AS match_at
    FROM texts
    WHERE strpos(lower(body), lower($q)) > 0
)
SELECT
    sample_id, snapshot, intervention, training_stage, stage_step, scenario_family, scenario, epoch,
    harmful, grader, score, split_part(coalesce(explanation, ''), chr(10), 1) AS explanation,
    substr(body, greatest(1, match_at - 80), length($q) + 160) AS passage,
    count(*) OVER () AS total
FROM matched
ORDER BY
    CASE $sort WHEN 'score_desc' THEN -score WHEN 'score_asc' THEN score END NULLS LAST,
    snapshot, intervention, stage_rank(training_stage), stage_step, scenario_family, scenario, epoch, sample_id
LIMIT $limit OFFSET $offset;
