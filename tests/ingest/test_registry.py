"""Each format is registered once (docs/ARCHITECTURE.md, "Ingest"): every module of `ingest/formats/` holds one
format class, the registry lists each exactly once, and detection and the pipeline reach formats only through it."""

from __future__ import annotations

import ast
import inspect as pyinspect

from evalboard.ingest import formats
from evalboard.ingest.formats.base import Format
from tests.harness import REPO

FOLDER = REPO / "evalboard" / "ingest" / "formats"


def test_every_format_module_holds_one_registered_format() -> None:
    modules = sorted(p.stem for p in FOLDER.glob("*.py") if p.stem not in ("__init__", "base"))
    registered = {type(f).__module__.rpartition(".")[2]: f for f in formats.REGISTRY}
    assert sorted(registered) == modules
    assert len(formats.REGISTRY) == len(set(formats.FORMATS)) == len(modules)
    for name, fmt in registered.items():
        module = pyinspect.getmodule(fmt)
        classes = [c for _, c in pyinspect.getmembers(module, pyinspect.isclass) if issubclass(c, Format)]
        assert [c for c in classes if c is not Format and c.__module__ == module.__name__] == [type(fmt)], name
        assert formats.get(fmt.name) is fmt


def test_detection_and_the_pipeline_reach_formats_through_the_registry() -> None:
    registry = {"REGISTRY", "FORMATS", "LABEL_FORMATS", "get"}
    for name, allowed in (("detect.py", registry), ("pipeline.py", registry | {"jsonl"})):  # jsonl: columnar's lines
        tree = ast.parse((REPO / "evalboard" / "ingest" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("evalboard.ingest.formats") for a in node.names), name
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evalboard.ingest.formats"):
                if node.module == "evalboard.ingest.formats":
                    assert {a.name for a in node.names} <= allowed, (name, node.lineno)
                else:
                    assert node.module == "evalboard.ingest.formats.base", (name, node.module)
