"""The documents name only what is in the tree: every file a backquoted name in docs/ARCHITECTURE.md, README.md or
docs/FORMATS.md points at (`core/stats.py`, `queries/macros.sql`, `evalboard.data.search`) exists, so a move or a
rename that leaves the design document behind fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness import REPO

DOCS = ["docs/ARCHITECTURE.md", "README.md", "docs/FORMATS.md"]
# Files named in the documents that live elsewhere on purpose: a user's own secrets file, other projects' sources.
ELSEWHERE = {".streamlit/secrets.toml", "buffer.py", "inspect_scout/_recorder/file.py", "_scanner/result.py"}
FILE = re.compile(r"`([\w./-]+\.(?:py|sql|toml|sh))`")
MODULE = re.compile(r"`(?:python -m )?(evalboard(?:\.[a-z_]+)+)")


def tree() -> list[str]:
    return [p.relative_to(REPO).as_posix() for p in REPO.rglob("*") if p.is_file() and ".git" not in p.parts]


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_a_document_names_exists(doc):
    files = tree()
    missing = sorted(
        {
            ref
            for ref in FILE.findall((REPO / doc).read_text(encoding="utf-8"))
            if ref not in ELSEWHERE and not any(f == ref or f.endswith("/" + ref) for f in files)
        }
    )
    assert missing == [], f"{doc} names files the tree does not have: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_module_a_document_names_exists(doc):
    missing = []
    for name in set(MODULE.findall((REPO / doc).read_text(encoding="utf-8"))):
        parts = name.split(".")
        if name == "evalboard.x":  # the placeholder in "`from evalboard import x` read as the module `evalboard.x`"
            continue
        if not any(
            (REPO / Path(*parts[:k])).with_suffix(".py").exists() or (REPO / Path(*parts[:k]) / "__init__.py").exists()
            for k in range(len(parts), 1, -1)
        ):
            missing.append(name)
    assert missing == [], f"{doc} names modules the package does not have: {sorted(missing)}"


def test_the_check_catches_a_stale_name(tmp_path):
    assert not any(f.endswith("/readiness_cli.py") for f in tree())  # a module the layout renamed
    assert FILE.findall("see `evalboard/readiness_cli.py`") == ["evalboard/readiness_cli.py"]
