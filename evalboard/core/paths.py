"""Where the app's files are: the one place that resolves app.py, pages/, queries/, gates.toml and assets.

In a source checkout (and an editable install) they sit at the repository root beside the package; a wheel
carries a copy in `evalboard/_app/` (made at build time by setup.py's build_py; docs/ARCHITECTURE.md,
"Packaging"). Nothing else computes these paths.
"""

from __future__ import annotations

import os
from pathlib import Path

from evalboard.core import location

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # evalboard/ (this file is evalboard/core/paths.py)
_INSTALLED = PACKAGE_DIR / "_app"
ASSETS_DIR = PACKAGE_DIR / "assets"
FAVICON = ASSETS_DIR / "favicon.png"


def app_root() -> Path:
    """The folder holding app.py, pages/, queries/ and gates.toml (the installed copy wins when present)."""
    return _INSTALLED if (_INSTALLED / "app.py").is_file() else PACKAGE_DIR.parent


def is_installed_copy() -> bool:
    """True when running from a built wheel's copy rather than a source checkout."""
    return app_root() == _INSTALLED


APP_ROOT = app_root()
APP_SCRIPT = APP_ROOT / "app.py"
PAGES_DIR = APP_ROOT / "pages"
QUERIES_DIR = APP_ROOT / "queries"
STREAMLIT_CONFIG = APP_ROOT / ".streamlit" / "config.toml"


def dataset_location(value: str | Path) -> Path | str:
    """A dataset as given (command line, $EVALBOARD_DATA): `s3://bucket/prefix` kept as text (a Path would fold its
    `//`), else a folder path. What a location is, is `core/location.py`'s to say."""
    return location.parse(value, strict=False).uri if location.is_remote(value) else Path(value)


def default_data() -> Path | str:
    """The dataset: $EVALBOARD_DATA (a folder or `s3://bucket/prefix`), else the checkout's embedded demo data, else
    ./data/demo (a wheel carries no data: `evalboard demo --out data/demo` writes it)."""
    chosen = os.environ.get("EVALBOARD_DATA")
    if chosen:
        return dataset_location(chosen)
    return Path("data/demo") if is_installed_copy() else APP_ROOT / "data" / "demo"


def default_gates_dir() -> Path:
    """Where gates.toml is looked for when $EVALBOARD_GATES is unset: beside app.py."""
    return APP_ROOT
