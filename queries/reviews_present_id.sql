-- Whether the reviews Delta table (`present`: its current snapshot) already holds a review with the id in `batch`
-- (registered by data/reviews.py): the form's idempotency key, checked before a review is appended.
SELECT DISTINCT review_id
FROM present
WHERE review_id IN (SELECT review_id FROM batch);
