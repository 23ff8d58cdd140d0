"""The dependency rules of docs/ARCHITECTURE.md ("Rooms"), read from the source: pages call the shared entry
guard first and never `st.stop()`; what was decided never imports how it is said; only `ui/` imports Streamlit; one
module resolves the app's paths. The rooms' import order itself is tests/test_layers.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.harness import REPO

PAGES = sorted((REPO / "pages").glob("*.py"))
# What was decided never imports how it is said: results and judgements are read by the wording, not the reverse.
DECIDING = {"screens/compare/result.py": ("compare.text", "compare.frames", "compare.export", "compare.stacking"),
            "screens/readiness/catalog.py": ("readiness.judge", "readiness.text", "readiness.export"),
            "screens/readiness/judge.py": ("readiness.text", "readiness.export"),
            "screens/readiness/rules.py": ("readiness.catalog", "readiness.judge", "readiness.text",
                                           "readiness.export")}  # fmt: skip


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported(module: ast.Module) -> set[str]:
    """Every module name an `import` or `from … import` names, with `from evalboard import x` as evalboard.x."""
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def calls(node: ast.AST) -> list[str]:
    """Dotted names of the calls in `node` ('st.stop', 'ensure_entrypoint', …)."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            out.append(ast.unparse(n.func))
    return out


def test_there_are_pages():
    assert {p.stem for p in PAGES} >= {"overview", "transcripts", "compare", "readiness", "data_health"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_calls_the_entry_guard_first_and_never_st_stop(page):
    module = tree(page)
    assert "st.stop" not in calls(module), f"{page.name}: use session.end_page(), not st.stop()"
    statements = [s for s in module.body if not isinstance(s, ast.Import | ast.ImportFrom | ast.FunctionDef)]
    first_call = next(s for s in statements if calls(s))
    assert ast.unparse(first_call) == "ensure_entrypoint()", f"{page.name}: call ensure_entrypoint() first"


@pytest.mark.parametrize("name", sorted(DECIDING))
def test_what_was_decided_never_imports_how_it_is_said(name):
    names = imported(tree(REPO / "evalboard" / name))
    bad = {n for n in names for w in DECIDING[name] if n == f"evalboard.screens.{w}"}
    assert not bad, f"evalboard/{name} imports {sorted(bad)}"


def test_only_the_ui_room_imports_streamlit_in_the_package():
    offenders = [
        p.relative_to(REPO).as_posix()
        for p in sorted((REPO / "evalboard").rglob("*.py"))
        if p.parent.name != "ui" and any(n.split(".")[0] == "streamlit" for n in imported(tree(p)))
    ]
    assert offenders == []


def test_pages_do_not_find_files_themselves():
    for page in [*PAGES, REPO / "app.py"]:
        source = page.read_text(encoding="utf-8")
        for forbidden in ("gates_path", "REPO_ROOT", "__file__", "Path("):
            assert forbidden not in source, f"{page.name} uses {forbidden}: ask the domain (evalboard/core/paths.py)"


def test_one_module_resolves_the_app_paths():
    resolving = [
        p.relative_to(REPO).as_posix()
        for p in sorted((REPO / "evalboard").rglob("*.py"))
        if "__file__" in p.read_text(encoding="utf-8")
    ]
    assert resolving == ["evalboard/core/paths.py"]


QUERY_NAMES = {p.stem for p in (REPO / "queries").glob("*.sql")}


def query_calls(path: Path) -> list[str]:
    """The calls in `path` that run a query or name one: any `….run(…)` with arguments (`store.run("q", …)`; the
    app's `page.run()` takes none), and any call given a query's name (`queries/NAME.sql`) as a positional argument."""
    found = []
    for node in ast.walk(tree(path)):
        if not isinstance(node, ast.Call):
            continue
        runs = isinstance(node.func, ast.Attribute) and node.func.attr == "run" and (node.args or node.keywords)
        named = [a.value for a in node.args if isinstance(a, ast.Constant) and a.value in QUERY_NAMES]
        if runs or named:
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_pages_run_no_query_and_name_none(tmp_path):
    """docs/ARCHITECTURE.md, "Rooms": each question a page asks is a typed function of its screen module
    (`cmp.load_cells(store, view)`, `data_health.totals(store)`, …); no page builds a query's name or parameters."""
    found = {p.name: query_calls(p) for p in [*PAGES, REPO / "app.py"]}
    assert {name: calls for name, calls in found.items() if calls} == {}
    # The scan finds what it looks for: the forms it must catch.
    sample = tmp_path / "page.py"
    sample.write_text('store.run("samples_by_source")\nmetrics.rates(store, "rate_by_family", view)\npage.run()\n')
    assert len(query_calls(sample)) == 2


def test_no_python_callbacks_on_polars_thread_pool():
    """`map_elements`/`map_batches` run Python on polars' thread pool; with several sessions' scripts using polars at
    once that deadlocked the whole server (docs/ARCHITECTURE.md, "Threads"). The app's code never uses them."""
    code = [REPO / "app.py", *PAGES, *sorted((REPO / "evalboard").rglob("*.py"))]
    call = re.compile(r"\.map_(elements|batches)\(")
    used = [str(p.relative_to(REPO)) for p in code if call.search(p.read_text())]
    assert used == []


def test_app_passes_the_sign_in_gate_before_anything_reads_data():
    """docs/ARCHITECTURE.md, "Sign-in and access": a signed-out visitor or one without access is stopped before the
    store is opened, the sidebar's options are read or a page runs."""
    statements = [s for s in tree(REPO / "app.py").body if not isinstance(s, ast.Import | ast.ImportFrom)]
    order = [i for i, s in enumerate(statements) if "signin.gate" in calls(s)]
    reading = [i for i, s in enumerate(statements) if {"get_store", "page.run", "store.refresh"} & set(calls(s))]
    assert order and reading and order[0] < min(reading), "app.py: signin.gate(...) before the store or any page"


def test_only_the_stats_module_computes_statistics():
    """docs/ARCHITECTURE.md, "Statistics": every interval and test exists once, in core/stats.py (the exact interval
    Readiness projects to larger n included): no other module calls scipy or statsmodels itself."""
    offenders = [
        p.relative_to(REPO).as_posix()
        for p in sorted([*(REPO / "evalboard").rglob("*.py"), *PAGES, REPO / "app.py"])
        if any(n.split(".")[0] in {"scipy", "statsmodels"} for n in imported(tree(p)))
    ]
    assert offenders == ["evalboard/core/stats.py"]


def test_pages_never_take_our_sentences_apart():
    """Words are written once, in the screens' text modules: a page shows them, never splits them to find a part
    (docs/ARCHITECTURE.md, "Rooms": Readiness's `text.headline`, not the summary split at ': ')."""
    split = re.compile(r"""\.(r?split|partition)\(\s*["'][:,;]""")
    offenders = [p.name for p in PAGES if split.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_md_means_one_thing_in_every_page():
    """`md` is a page's "one of our sentences as Markdown, the dataset's names in it quoted" (`fmt.sentence`); text to
    show inert is `inert` (`transcript_text.inert_markdown`), never also called `md`."""
    for page in PAGES:
        module = tree(page)
        aliased = [a.asname for n in ast.walk(module) if isinstance(n, ast.ImportFrom) for a in n.names]
        assert "md" not in aliased, f"{page.name} imports something as md"
        for node in module.body:
            if isinstance(node, ast.FunctionDef) and node.name == "md":
                assert "sentence(" in ast.unparse(node), f"{page.name}: md is not fmt.sentence"


# Pages rewritten to read top to bottom like the screen they draw (docs/ARCHITECTURE.md, "Rooms"): no helper defined
# in the page, so nothing is read before the line that defines it; their widgets live in ui/.
TOP_TO_BOTTOM = ("transcripts",)


@pytest.mark.parametrize("name", TOP_TO_BOTTOM)
def test_page_is_its_script_alone(name):
    module = tree(REPO / "pages" / f"{name}.py")
    defined = [n.name for n in module.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    assert defined == [], f"pages/{name}.py defines {defined}: move them to ui/"
