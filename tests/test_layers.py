"""The tree is the architecture (docs/ARCHITECTURE.md, "Rooms and what each may import"): the room table is read
from the document and every import in the package, pages and app.py (those inside functions included) must run
along it. A room may import itself and the rooms its row names, nothing else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.harness import REPO
from tests.test_imports import graph

DOC = REPO / "docs" / "ARCHITECTURE.md"
MARKER = "<!-- rooms: checked by tests/test_layers.py -->"


def room_table() -> dict[str, tuple[list[str], set[str]]]:
    """Each room's folders (repository paths) and the rooms it may import, from the document's table."""
    lines = DOC.read_text(encoding="utf-8").split(MARKER, 1)[1].strip().splitlines()
    rooms = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        room, folders, _holds, may = (cell.strip() for cell in line.strip("|").split("|"))
        rooms[room] = (re.findall(r"`([^`]+)`", folders), {r.strip() for r in may.split(",") if r.strip() != "—"})
    return rooms


ROOMS = room_table()


def room_of(path: str) -> str | None:
    """The room whose folder holds `path` (a repository path like `evalboard/core/fmt.py`), the longest match."""
    best = None
    for room, (folders, _) in ROOMS.items():
        for folder in folders:
            if path == folder or (folder.endswith("/") and path.startswith(folder)):
                best = max(best or (0, ""), (len(folder), room))
    return best[1] if best else None


def module_path(name: str) -> str:
    path = REPO / Path(*name.split("."))
    return (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).relative_to(REPO).as_posix()


def page_imports(path: Path, known: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.setdefault(name, node.lineno)
    return found


def edges() -> list[tuple[str, str, int]]:
    """(importing file, imported file, line) for every import of a package module, pages and app.py included."""
    package = graph()
    out = [(module_path(a), module_path(b), line) for a, targets in package.items() for b, line in targets.items()]
    for page in [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]:
        for b, line in page_imports(page, set(package)).items():
            out.append((page.relative_to(REPO).as_posix(), module_path(b), line))
    return out


def test_the_table_names_every_room_and_its_folders_exist():
    assert set(ROOMS) == {"core", "data", "ingest", "screens", "present", "ui", "commands", "pages"}
    for room, (folders, may) in ROOMS.items():
        assert folders, room
        assert may <= set(ROOMS), f"{room} may import an unknown room: {sorted(may - set(ROOMS))}"
        for folder in folders:
            assert (REPO / folder).exists(), f"{room}: {folder} is not in the tree"


def test_every_module_is_in_a_room():
    loose = [p for p in (module_path(n) for n in graph()) if room_of(p) is None and p != "evalboard/__init__.py"]
    assert loose == [], loose


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_imports_run_along_the_room_table(room):
    allowed = ROOMS[room][1] | {room}
    wrong = [
        f"{a}:{line} imports {b} ({room_of(b)})"
        for a, b, line in edges()
        if room_of(a) == room and room_of(b) not in allowed and b != "evalboard/__init__.py"
    ]
    assert not wrong, f"{room} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_the_check_sees_a_wrong_import():
    """A screen importing Streamlit glue is caught (the check can fail)."""
    assert room_of("evalboard/screens/agreement.py") == "screens"
    assert room_of("evalboard/ui/session.py") not in ROOMS["screens"][1] | {"screens"}
    assert room_of("pages/overview.py") == "pages" and room_of("app.py") == "pages"
