"""Build hook: a wheel carries the app (app.py, pages/, queries/, gates.toml, .streamlit/config.toml) in
evalboard/_app/, copied from their top-level places; evalboard/core/paths.py finds them there. All other metadata
is in pyproject.toml. Editable installs use the top-level files in place."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
APP_FILES = ("app.py", "gates.toml", ".streamlit/config.toml")
APP_DIRS = {"pages": "*.py", "queries": "*.sql"}


class BuildPyWithApp(build_py):
    """build_py, then copy the top-level app files into the built package (skipped for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "evalboard" / "_app"
        if target.exists():
            shutil.rmtree(target)
        for name in APP_FILES:
            if (ROOT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, target / name)
        for folder, pattern in APP_DIRS.items():
            for path in sorted((ROOT / folder).glob(pattern)):
                (target / folder).mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / folder / path.name)


setup(cmdclass={"build_py": BuildPyWithApp})
