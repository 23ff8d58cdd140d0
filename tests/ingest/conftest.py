"""Fixtures for importer tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The dataset folder an ingest writes to."""
    return tmp_path / "dataset"
