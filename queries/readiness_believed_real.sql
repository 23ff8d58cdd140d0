-- Like readiness_counts.sql, counting only the transcripts each eval-awareness labeller source says the model
-- believed were real (for gates with rate = "believed_real"), under verdict source $source.
SELECT
    labels.source,
    s.snapshot,
    s.intervention,
    s.training_stage,
    s.stage_step,
    s.scenario_family,
    count(s.harmful) AS n,
    count(*) FILTER (WHERE s.harmful) AS k,
    count(*) - count(s.harmful) AS ungraded
FROM view_samples([], [], [], [], [], $source) AS s
JOIN awareness_labels() AS labels USING (sample_id)
WHERE labels.awareness = 'real'
GROUP BY ALL
ORDER BY ALL;
