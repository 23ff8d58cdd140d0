-- Every reviewer's vote (their latest review) on every reviewed transcript, whatever its queue, with the
-- transcript's majority verdict and whether the votes split (macros.sql, human_majority).
SELECT v.sample_id, v.reviewer, v.verdict, v.queue, m.harmful AS human, m.contested, m.harmful_votes, m.safe_votes,
    m.unsure_votes
FROM human_votes(NULL) AS v
JOIN human_majority(NULL) AS m USING (sample_id)
ORDER BY v.sample_id, v.reviewer;
