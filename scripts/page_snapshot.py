"""Dump what every page shows on the demo, to check that a refactoring changes nothing a visitor sees.

    PYTHONPATH=$PWD python scripts/page_snapshot.py OUT_FOLDER

Runs app.py in Streamlit's AppTest on data/demo (as tests/test_app.py does: the page reached through app.py's
navigation) over a few views per page (VISITS: the default, a filtered one, Compare with A and B, Transcripts with
a search and an open transcript, Readiness for a candidate, another verdict source, …), its folded sections open,
and writes per view one text file with every element (its protobuf text: labels, values, tables, chart specs) and
one file per download it offers (CSV / Markdown / JSON, deferred ones generated at once). Run it before and after
a change and compare the folders with `diff -r`: they must be identical. Tests do not run it (docs/ARCHITECTURE.md,
"Tests").
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import re
import sys
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402
from streamlit.runtime.media_file_manager import MediaFileManager  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

Query = dict[str, str | list[str]]
# name → (page file stem or None for the Overview, URL query, folded sections to open: session-state key patterns)
VISITS: dict[str, tuple[str | None, Query, tuple[str, ...]]] = {
    "overview-default": (None, {}, ("overview_numbers", "share_view")),
    "overview-all": (None, {"snapshots": "all"}, ("overview_numbers",)),
    "overview-filtered": (
        None,
        {"snapshot": "atlas-2026-05", "family": ["blackmail", "leaking"]},
        ("overview_numbers",),
    ),
    "overview-source": (None, {"snapshots": "all", "source": "grader:second-model"}, ("overview_numbers",)),
    "overview-awareness": (None, {"snapshots": "all", "split": "awareness"}, ("overview_numbers",)),
    "transcripts-default": ("transcripts", {}, ("share_view",)),
    "transcripts-filtered": ("transcripts", {"snapshot": "atlas-2026-05", "family": "blackmail"}, ()),
    "transcripts-search": ("transcripts", {"q": "leverage"}, ()),
    "transcripts-believed": ("transcripts", {"believed": "evaluation", "believed_source": "am_classifier"}, ()),
    "transcripts-sample": ("transcripts", {"sample": "s-d3656ff2b71654"}, ("conditions-*",)),
    "compare-default": ("compare", {}, ("share_comparison", "share_view")),
    "compare-ab": (
        "compare",
        {
            "a_snapshot": "atlas-2026-05",
            "a_intervention": "baseline",
            "b_snapshot": "atlas-2026-11",
            "b_intervention": "deliberation_rewrites",
        },
        ("share_comparison",),
    ),
    "compare-split": ("compare", {"split": "awareness"}, ()),
    "compare-training": ("compare", {"section": "Training"}, ()),
    "compare-stacking": ("compare", {"section": "Stacking"}, ()),
    "compare-filtered": ("compare", {"family": ["blackmail", "murder"], "source": "grader:second-model"}, ()),
    "drivers-default": ("drivers", {}, ()),
    "drivers-key": ("drivers", {"key": "urgency_type"}, ()),
    "readiness-default": ("readiness", {}, ("readiness_summary", "share_view")),
    "readiness-candidate": (
        "readiness",
        {"snapshot": "atlas-2026-09", "intervention": "baseline"},
        ("readiness_summary",),
    ),
    "agreement-default": ("agreement", {}, ("share_view",)),
    "agreement-y": ("agreement", {"y": "grader:second-model"}, ()),
    "data-default": ("data_health", {}, ("share_view",)),
}


# What differs between two runs of the same code: a deferred download's random id, the review form's random token,
# the hash in a widget's id (it depends on the script's path: a checkout elsewhere).
UNSTABLE = (
    (re.compile(r'deferred_file_id: "\w+"'), 'deferred_file_id: "…"'),
    (re.compile(r"(\$\$ID-)?\w*-?review_submit_\w+"), "review_submit_…"),
    (re.compile(r"\$\$ID-[0-9a-f]{32}-"), "$$ID-…-"),  # a widget id's hash holds the page's path: a copy elsewhere
)


def proto_text(node) -> str:
    """The element's protobuf text; a table's Arrow bytes decoded to CSV so a diff shows rows."""
    proto = node.proto
    text = str(proto)
    arrow = getattr(proto, "arrow_data", None) or getattr(proto, "data", None)
    data = getattr(arrow, "data", None)
    if isinstance(data, bytes) and data:
        frame = pa.ipc.open_stream(data).read_all().to_pandas()
        text = text.replace(str(arrow), "") + "\n" + frame.to_csv()
    for pattern, stable in UNSTABLE:
        text = pattern.sub(stable, text)
    return text


def element_lines(node, depth: int = 0) -> list[str]:
    """Every element under `node`, depth-first, as its protobuf text."""
    out = []
    if getattr(node, "proto", None) is not None:
        out.append(f"--- {type(node).__name__} (depth {depth})\n{proto_text(node)}")
    children = getattr(node, "children", None)
    for child in children.values() if isinstance(children, dict) else children or []:
        out.extend(element_lines(child, depth + 1))
    return out


def visit(page: str | None, query: Query, folds: tuple[str, ...]) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    if page is not None:
        at.session_state["_visited"] = True
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    keys = list(at.session_state.keys())
    opened = [k for pattern in folds for k in fnmatch.filter(keys, pattern)]
    for key in opened:
        at.session_state[key] = True
    return at.run() if opened else at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", nargs="*", help="names of VISITS to run (default: all)")
    args = parser.parse_args()
    os.environ["EVALBOARD_DATA"] = str(REPO / "data" / "demo")
    args.out.mkdir(parents=True, exist_ok=True)
    files: list[bytes] = []
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record(data) -> None:
        files.append(data if isinstance(data, bytes) else str(data).encode())

    def add_recorded(self, path_or_data, *a, **k):
        record(path_or_data)
        return add(self, path_or_data, *a, **k)

    def add_deferred_recorded(self, data, *a, **k):
        record(data())
        return add_deferred(self, data, *a, **k)

    with (
        mock.patch.object(MediaFileManager, "add", add_recorded),
        mock.patch.object(MediaFileManager, "add_deferred", add_deferred_recorded),
    ):
        for name, (page, query, folds) in VISITS.items():
            if args.only and name not in args.only:
                continue
            files.clear()
            at = visit(page, query, folds)
            text = "\n".join(element_lines(at._tree))
            if at.exception:
                text += "\n=== EXCEPTION\n" + "\n".join(str(e.value) for e in at.exception)
            (args.out / f"{name}.txt").write_text(text)
            for i, data in enumerate(dict.fromkeys(files)):  # each file once, in the order first offered
                (args.out / f"{name}.download{i}").write_bytes(data)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            print(f"{name}: {len(text):,} chars ({digest}), {len(set(files))} downloads", flush=True)


if __name__ == "__main__":
    main()
