"""The package's import graph has no cycle (docs/ARCHITECTURE.md, "Rooms and what each may import"): built from every
`import` in every module of `evalboard`, those inside functions included, so an import moved into a function to
dodge a cycle at start-up is still a cycle here."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness import REPO

PACKAGE = REPO / "evalboard"


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> dict[str, int]:
    """The package's modules `name` imports anywhere in its file, each with the line of its first import: relative
    imports resolved, `from evalboard import x` as the submodule `evalboard.x` when there is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import evalboard.x.y as z` names evalboard.x.y's module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.setdefault(target, node.lineno)
    return found


def graph() -> dict[str, dict[str, int]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), as the modules in import order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [path_back(min(group), edges, group) for group in groups]


def path_back(start: str, edges: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    """The shortest cycle from `start` back to itself inside `group` (breadth first)."""
    came: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v]):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if w in group and w not in came:
                    came[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{start} is in no cycle")


def described(cycle: list[str], edges: dict[str, dict[str, int]]) -> str:
    return " → ".join(f"{a} (line {edges[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)) + f" → {cycle[-1]}"


def test_the_graph_sees_every_kind_of_import():
    """The graph holds imports inside functions, relative imports and `from evalboard import module`."""
    edges = graph()
    assert len(edges) > 50
    assert "evalboard.commands.ingest" in edges["evalboard.commands.cli"]  # inside a command's function
    assert "evalboard.data.store" in edges["evalboard.screens.transcripts"]  # `from evalboard.data.store import Store`
    assert "evalboard.core.fmt" in edges["evalboard.screens.transcripts"]  # `from evalboard import fmt, search`
    assert "evalboard.demo.story" in edges["evalboard.demo.awareness"]  # `from evalboard.demo import story`
    assert "evalboard.demo" not in edges["evalboard.demo.awareness"]


def test_cycles_are_found_and_printed():
    edges = {"a": {"b": 3}, "b": {"c": 7}, "c": {"a": 12}, "d": {"a": 1}}
    assert cycles(edges) == [["a", "b", "c", "a"]]
    assert described(["a", "b", "c", "a"], edges) == "a (line 3) → b (line 7) → c (line 12) → a"
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_relative_imports_resolve(tmp_path):
    source = "from . import sibling\nfrom ..top import x\n\n\ndef f():\n    from .other import y\n"
    (tmp_path / "inner.py").write_text(source)
    known = {"evalboard", "evalboard.pkg", "evalboard.pkg.sibling", "evalboard.pkg.other", "evalboard.top"}
    found = imports("evalboard.pkg.inner", tmp_path / "inner.py", known | {"evalboard.pkg.inner"})
    assert found == {"evalboard.pkg.sibling": 1, "evalboard.top": 2, "evalboard.pkg.other": 6}


def test_the_package_has_no_import_cycle():
    edges = graph()
    found = [described(c, edges) for c in cycles(edges)]
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_only_the_command_line_imports_evalboard_inside_functions():
    """An import inside a function hides a dependency from a reader; `cli.py` alone keeps each command's modules in
    the command's function, so a command loads only what it runs (docs/ARCHITECTURE.md, "Commands and exit codes")."""
    inside = []
    for name, path in modules().items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                named = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom):
                    named = ["evalboard" if node.level else node.module or ""]
                if any(n == "evalboard" or n.startswith("evalboard.") for n in named):
                    inside.append(f"{name}:{node.lineno}")
    assert inside and all(where.startswith("evalboard.commands.cli:") for where in inside), inside
