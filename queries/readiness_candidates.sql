-- Release candidates: for each snapshot × intervention, its final checkpoint (last training stage in the order
-- pretrained < sft < rl < others, then the largest stage_step), when that intervention last ran and when the
-- snapshot last ran. Snapshots are ordered newest first (by their last sample); a snapshot's default
-- candidate is its newest run. Over the whole dataset: the sidebar's filters do not change a release verdict.
WITH checkpoints AS (
    SELECT snapshot, intervention, training_stage, stage_step, stage_rank, last_at AS last_sample
    FROM checkpoint_counts('sample_counts', false)
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY snapshot, intervention
            ORDER BY stage_rank DESC, training_stage DESC, stage_step DESC
        ) AS from_last,
        max(last_sample) OVER (PARTITION BY snapshot, intervention) AS intervention_last,
        max(last_sample) OVER (PARTITION BY snapshot) AS snapshot_last
    FROM checkpoints
)
SELECT snapshot, intervention, training_stage, stage_step, intervention_last, snapshot_last
FROM ranked
WHERE from_last = 1
ORDER BY snapshot_last DESC NULLS LAST, snapshot DESC, intervention_last DESC NULLS LAST, intervention;
