"""Further verdict sources an eval log holds, as rows of the `verdicts` table: the row every format builds, and the
one writer.

The importer's chosen verdict stays the primary one (`samples.harmful`); each format keeps the rest, so no grader an
eval tool recorded is dropped: agentic-misalignment's raw classifier verdict next to its final rule (and a
`classification_v2`, `formats/agentic_misalignment.verdicts`), every other Inspect scorer on a sample
(`formats/inspect.inspect_scores`), and each Petri judge dimension as a score (`formats/petri.petri_dimensions`).
A value that cannot become a verdict is kept with `harmful` NULL and its score, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evalboard.core.schema import VERDICTS

FOLDER = "verdicts"
RESERVED = ("primary", "human")  # source names the app gives a meaning of its own


def verdict_row(sample_id: str, source: str, harmful: bool | None, **rest: Any) -> dict[str, Any]:
    """One `verdicts` row; a source named like the app's own (`primary`, `human`) is prefixed `imported:`."""
    if source in RESERVED:
        source = f"imported:{source}"  # never shadow the primary verdict or human reviews
    return {"sample_id": sample_id, "source": source, "harmful": harmful, "score": None, "explanation": None,
            "grader": None, "created_at": None} | rest  # fmt: skip


def write(out: Path | str, rows: Iterable[Mapping[str, Any]], name: str) -> Path | None:
    """Write the rows as `out/verdicts/<name>.parquet` (sorted by sample and source); None when there are none."""
    table = sorted(rows, key=lambda r: (r["sample_id"], r["source"]))
    if not table:
        return None
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    temp = folder / f".{name}.parquet.tmp"
    pq.write_table(pa.Table.from_pylist(table, schema=VERDICTS), temp, compression="zstd")
    temp.replace(path)
    return path
