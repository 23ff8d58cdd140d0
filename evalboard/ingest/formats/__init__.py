"""The import formats, registered once, in detection order (docs/FORMATS.md; each module's docstring is its reference).

Each format is a class (`base.Format`) that recognises its own files and folders and reads them; detection
(`ingest/detect.py`) asks them in this order, tier by tier, and the first claim wins: a Petri transcript before an
Inspect `.json` log (both are JSON objects), Scout's results before canonical Parquet (both start with PAR1), JSONL
last among the JSON formats.
"""

from __future__ import annotations

from evalboard.ingest.formats.agentic_misalignment import AgenticMisalignment
from evalboard.ingest.formats.base import Format
from evalboard.ingest.formats.inspect import Inspect
from evalboard.ingest.formats.jsonl import Jsonl
from evalboard.ingest.formats.parquet import Parquet
from evalboard.ingest.formats.petri import Petri
from evalboard.ingest.formats.scout import Scout

_INSPECT = Inspect()
REGISTRY: tuple[Format, ...] = (AgenticMisalignment(), Petri(_INSPECT), _INSPECT, Jsonl(), Scout(), Parquet())
BY_NAME = {f.name: f for f in REGISTRY}
FORMATS = tuple(BY_NAME)  # the names `--format` takes
LABEL_FORMATS = tuple(f.name for f in REGISTRY if f.label_only)  # imported after every other source


def get(name: str) -> Format:
    """The format called `name` (KeyError for an unknown one)."""
    return BY_NAME[name]
