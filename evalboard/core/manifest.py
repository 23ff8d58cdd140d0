"""The optional `dataset.toml` beside a dataset's Parquet files: title, synthetic flag, held-out families."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "dataset.toml"


@dataclass(frozen=True)
class Manifest:
    """What a dataset says about itself. A folder without a manifest gets these defaults."""

    title: str = ""
    description: str = ""
    synthetic: bool = False
    held_out_families: tuple[str, ...] = field(default_factory=tuple)


def load_manifest(root: Path) -> tuple[Manifest, str | None]:
    """Read `root/dataset.toml`; return the manifest and a problem message (None when fine or absent).

    The message does not name the server's path: the Data health page shows it to every visitor."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        return Manifest(title=root.name), None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return Manifest(title=root.name), f"{exc}; using defaults"
    held_out = raw.get("held_out_families", [])
    if not isinstance(held_out, list) or not all(isinstance(f, str) for f in held_out):
        return Manifest(title=root.name), "'held_out_families' must be a list of strings; using defaults"
    return (
        Manifest(
            title=str(raw.get("title", root.name)),
            description=str(raw.get("description", "")),
            synthetic=bool(raw.get("synthetic", False)),
            held_out_families=tuple(held_out),
        ),
        None,
    )
