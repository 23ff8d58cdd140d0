-- One transcript by id. Transcript files are sorted by sample_id, so row-group statistics prune the scan.
SELECT messages
FROM transcripts
WHERE sample_id = $sample_id
LIMIT 1;
