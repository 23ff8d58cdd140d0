"""Data health's questions: the dataset's headline counts, its imports and its samples per source file."""

from __future__ import annotations

import polars as pl

from evalboard.data.store import Store


def totals(store: Store) -> dict[str, object]:
    """Samples, graded, ungraded, snapshots, interventions, families and the first and last sample's time
    (`dataset_totals.sql`)."""
    return store.run("dataset_totals").row(0, named=True)


def imports(store: Store) -> pl.DataFrame:
    """Each `evalboard ingest` run per source, newest first, from the dataset's `ingest_log.jsonl`
    (`ingest_log.sql`); call only where `store.health.ingest_log` is set."""
    return store.run("ingest_log", {"path": str(store.health.ingest_log)})


def samples_by_source(store: Store) -> pl.DataFrame:
    """Samples and ungraded samples per source file (`samples_by_source.sql`)."""
    return store.run("samples_by_source")
