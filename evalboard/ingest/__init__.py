"""Importers: eval logs (Inspect AI, agentic-misalignment folders, Petri, JSONL, Parquet) → canonical dataset.

One module per source format yields parsed samples or rejected records; `pipeline` labels, checks and
de-duplicates them; `writer` writes the dataset folder; `cli.main(argv)` is `evalboard ingest`.
"""
