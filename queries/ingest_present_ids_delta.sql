-- Which sample_ids of the batch being written (`batch`, registered by the ingest writer) a Delta table already
-- holds (`present`: its current snapshot as a pyarrow dataset, evalboard/data/delta_write.py). $lo/$hi are the
-- batch's smallest and largest id: the range test reaches the Parquet min/max statistics of the snapshot's files.
SELECT DISTINCT sample_id
FROM present
WHERE sample_id BETWEEN $lo AND $hi AND sample_id IN (SELECT sample_id FROM batch);
