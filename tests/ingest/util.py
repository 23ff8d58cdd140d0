"""Helpers for importer tests: run the CLI, read the dataset back with DuckDB, read the quarantine."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from evalboard.commands.ingest import main
from evalboard.core.schema import validate_file
from tests import tables


@dataclass
class Result:
    code: int
    out: str
    err: str


def ingest(*args: Any) -> Result:
    """Run `evalboard ingest` in-process."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], stdout=stdout, stderr=stderr)
    return Result(code, stdout.getvalue(), stderr.getvalue())


ROOT = Path(__file__).resolve().parents[2]
# The `evalboard` command in a process where `import orjson` fails, so records are parsed by the standard library.
WITHOUT_ORJSON = "import sys; sys.modules['orjson'] = None; from evalboard.commands.cli import main; sys.exit(main())"


def run(*args: Any, orjson: bool = True, timeout: float = 120, cwd: Path = ROOT) -> Result:
    """Run `evalboard ingest ARGS` as a real process (with orjson importable, or not), in `cwd`."""
    command = ["-m", "evalboard"] if orjson else ["-c", WITHOUT_ORJSON]
    done = subprocess.run(
        [sys.executable, *command, "ingest", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def counts(stdout: str) -> dict[str, int]:
    """The summary's `records: N = imported … + already present … + quarantined …` line as numbers."""
    [line] = [x for x in stdout.splitlines() if x.startswith("records:")]
    words = line.replace(",", "").replace("(", " ").replace(")", " ").split()
    return {
        "records": int(words[1]),
        "imported": int(words[words.index("imported") + 1]),
        "present": int(words[words.index("present") + 1]),
        "quarantined": int(words[words.index("quarantined") + 1]),
    }


def samples(out: Path) -> list[dict[str, Any]]:
    """All sample rows of a dataset folder, ordered by sample_id; every file must pass the schema check."""
    files = tables.files(out, "samples")
    for f in files:
        assert validate_file(f, "samples").problem is None, f
    if not files:
        return []
    rel = duckdb.sql(f"SELECT * FROM read_parquet({[str(f) for f in files]}) ORDER BY sample_id")
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def transcript(out: Path, sample_id: str) -> list[dict[str, Any]]:
    """One sample's messages."""
    files = tables.files(out, "transcripts")
    rows = duckdb.execute("SELECT messages FROM read_parquet($f) WHERE sample_id = $id", {"f": files, "id": sample_id})
    [(messages,)] = rows.fetchall()
    return messages


def quarantine(out: Path) -> list[dict[str, Any]]:
    """All quarantine lines of a dataset folder."""
    lines = []
    for f in sorted((out / "quarantine").glob("*.jsonl")):
        lines += [json.loads(line) for line in f.read_text().splitlines()]
    return lines


def ingest_log(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "ingest_log.jsonl").read_text().splitlines()]


def assert_adds_up(out: Path) -> None:
    """Per source: records = imported + already present + rejected, and the files hold what was imported."""
    for entry in ingest_log(out):
        assert entry["records"] == entry["imported"] + entry["already_present"] + entry["rejected"], entry
