-- Counts per combination of every dimension the aggregate queries group or filter by, over `rollup_source`: one
-- samples file (its rollup, built once per file change and kept in DATA/.index/rollups/) or the whole samples view
-- (the scan the rollups stand in for). The store names the source; the aggregate queries read the union of the
-- rollups as `sample_counts` through view_counts (macros.sql). docs/ARCHITECTURE.md, "Rollups".
SELECT
    CAST(snapshot AS VARCHAR) AS snapshot,
    CAST(intervention AS VARCHAR) AS intervention,
    CAST(training_stage AS VARCHAR) AS training_stage,
    CAST(stage_step AS BIGINT) AS stage_step,
    CAST(scenario_family AS VARCHAR) AS scenario_family,
    CAST(grader AS VARCHAR) AS grader,
    count(harmful) AS n,
    count(*) FILTER (WHERE harmful) AS k,
    count(*) AS total,
    CAST(min(created_at) AS TIMESTAMPTZ) AS first_at,
    CAST(max(created_at) AS TIMESTAMPTZ) AS last_at
FROM rollup_source
GROUP BY ALL
