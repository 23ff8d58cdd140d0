-- Every human review in the dataset, oldest first (one row per review: the export).
SELECT review_id, sample_id, reviewer, created_at, verdict, note, primary_verdict, reviewer_subject, reviewer_email,
       queue
FROM reviews
ORDER BY created_at, review_id;
