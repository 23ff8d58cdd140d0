"""Which files a SOURCE argument stands for, and which importer reads each (`--format auto`)."""

from __future__ import annotations

from pathlib import Path

from evalboard.ingest.agentic_misalignment import looks_like_results
from evalboard.ingest.petri import is_transcript

FORMATS = ("inspect", "agentic-misalignment", "petri", "jsonl", "parquet")
SUFFIXES = {
    "inspect": (".eval", ".json"),
    "petri": (".json", ".eval"),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet",),
}
KNOWN = (".eval", ".json", ".jsonl", ".ndjson", ".parquet")


def sniff(path: Path) -> str | None:
    """The format of one file from its name and first bytes; None when unrecognised."""
    suffix = path.suffix.lower()
    if suffix == ".eval":
        return "inspect"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    if suffix == ".json":
        with path.open("rb") as fh:
            head = fh.read(4096)
        if is_transcript(head):
            return "petri"
        if b'"eval"' in head and (b'"version"' in head or b'"status"' in head):
            return "inspect"
    return None


def _is_dataset(path: Path) -> bool:
    return (path / "samples").is_dir()


def discover(sources: list[Path], fmt: str = "auto") -> tuple[list[tuple[Path, str | None]], list[Path]]:
    """(path, format) pairs to import, in a stable order, each path once (format None = unrecognised),
    and the .json files inside folders that are neither Inspect logs nor Petri transcripts (skipped)."""
    found: list[tuple[Path, str | None]] = []
    skipped: list[Path] = []
    for src in sources:
        if src.is_file():
            found.append((src, sniff(src) if fmt == "auto" else fmt))
        elif fmt == "agentic-misalignment" or (fmt == "auto" and looks_like_results(src)):
            found.append((src, "agentic-misalignment"))
        elif fmt in ("auto", "parquet") and _is_dataset(src):
            found.append((src, "parquet"))
        else:
            suffixes = KNOWN if fmt == "auto" else SUFFIXES[fmt]
            for file in sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in suffixes):
                kind = sniff(file) if fmt == "auto" else fmt
                if kind is None and file.suffix.lower() == ".json":  # e.g. Inspect's logs.json listing
                    skipped.append(file)
                else:
                    found.append((file, kind))
    seen: set[Path] = set()
    unique = []
    for path, kind in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, kind))
    return unique, skipped
