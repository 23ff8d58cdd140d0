-- Every (snapshot, intervention, checkpoint) the dataset holds, for the Compare page's pickers, URL checks
-- and default. Unfiltered, so a shared link is judged against the whole dataset. last_created orders a
-- snapshot's interventions (the newest is the default B); stage_rank orders checkpoints along training.
SELECT
    snapshot,
    intervention,
    training_stage,
    stage_step,
    stage_rank,
    n,
    max(last_at) OVER (PARTITION BY snapshot, intervention) AS last_created,
    max(last_at) OVER (PARTITION BY snapshot) AS snapshot_created
FROM checkpoint_counts('sample_counts', false)
ORDER BY snapshot_created, snapshot, last_created, intervention, stage_rank, stage_step, training_stage;
