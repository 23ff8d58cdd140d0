"""Importers: eval logs (Inspect AI, agentic-misalignment folders, Petri, JSONL, Parquet, Scout labels) → canonical
dataset.

`formats/` holds one module per source format — a class that recognises its files and yields parsed samples or
rejected records — registered once in `formats/__init__.py`; `detect` finds the sources, `pipeline` labels, checks
and de-duplicates them; `writer` writes the dataset folder. `evalboard ingest` is `commands/ingest.py`.
"""
