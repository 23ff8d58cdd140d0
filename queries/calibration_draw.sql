-- A calibration sample of the view (docs/ARCHITECTURE.md, "Calibration"): the view's graded transcripts in strata of
-- scenario family × primary verdict (samples.harmful), each stratum in a seeded random order (md5 of the id and
-- $seed: the same seed draws the same sample), its first $per_stratum kept. With each drawn transcript: its stratum's
-- size and how many were drawn from it, so estimates can be weighted by the design.
WITH population AS (
    SELECT
        sample_id,
        scenario_family,
        harmful,
        scenario_family || ' · ' || CASE WHEN harmful THEN 'harmful' ELSE 'not harmful' END AS stratum
    FROM filtered_samples($snapshots, $interventions, $stages, $families, $graders)
    WHERE harmful IS NOT NULL
), ranked AS (
    SELECT
        *,
        count(*) OVER (PARTITION BY stratum) AS stratum_size,
        row_number() OVER (PARTITION BY stratum ORDER BY md5(sample_id || ':' || $seed), sample_id) AS draw_rank
    FROM population
)
SELECT
    sample_id,
    scenario_family,
    harmful AS primary_harmful,
    stratum,
    stratum_size,
    least(stratum_size, $per_stratum) AS drawn,
    draw_rank
FROM ranked
WHERE draw_rank <= $per_stratum
ORDER BY stratum, draw_rank;
