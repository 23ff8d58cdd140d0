-- The calibration sample in force (the newest draw) with its human votes: only reviews opened from the calibration
-- queue count (a review from the disagreement queue was chosen because graders disagree, so it is not random).
WITH draw AS (
    SELECT *
    FROM calibration
    WHERE draw_id = (SELECT draw_id FROM calibration ORDER BY created_at DESC NULLS LAST, draw_id DESC LIMIT 1)
)
SELECT
    d.draw_id, d.created_at AS drawn_at, d.seed, d.view, d.sample_id, d.scenario_family, d.primary_harmful,
    d.stratum, d.stratum_size, d.drawn, d.draw_rank,
    coalesce(h.harmful_votes, 0) AS harmful_votes,
    coalesce(h.safe_votes, 0) AS safe_votes,
    coalesce(h.unsure_votes, 0) AS unsure_votes,
    h.harmful AS human,
    coalesce(h.contested, false) AS contested
FROM draw AS d
LEFT JOIN human_majority('calibration') AS h USING (sample_id)
ORDER BY d.stratum, d.draw_rank;
