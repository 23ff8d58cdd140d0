"""One table, many exports: the Readiness frame, display table, CSV, Markdown, JSON and text are rendered from
the same `rd_export.family_rows`, so they list the same families, verdicts and counts in the same order."""

from __future__ import annotations

import csv
import io

import pytest

from evalboard.data.store import Store
from evalboard.screens.readiness import catalog as rd_catalog
from evalboard.screens.readiness import export as rd_export
from evalboard.screens.readiness import judge as rd_judge
from evalboard.screens.readiness import text as rd_text
from evalboard.screens.readiness.gates import load_gates
from tests.helpers import DEMO, REPO


@pytest.fixture(scope="module")
def catalog():
    return rd_catalog.load_catalog(Store(DEMO))


@pytest.mark.parametrize("snapshot", ["atlas-2026-11", "atlas-2026-09", "atlas-2026-05"])
def test_every_export_renders_the_same_rows(catalog, snapshot):
    report = rd_judge.judge(catalog, snapshot, load_gates(REPO / "gates.toml"))
    rows = rd_export.family_rows(report)
    expected = [(r.family, r.verdict.status.label, r.verdict.k, r.verdict.n) for r in rows]
    assert [r.name for r in rows] == [rd_text.family_name(report, f) for f in report.verdicts]

    frame = rd_export.verdict_frame(report)
    assert list(zip(frame["family"], frame["verdict"], frame["harmful"], frame["n"], strict=True)) == expected
    display = rd_export.verdict_display(report)
    assert list(display["family"]) == [r.name for r in rows] and list(display["verdict"]) == [e[1] for e in expected]
    table = list(csv.DictReader(io.StringIO(rd_export.to_csv(report))))
    assert [(r["family"], r["verdict"], int(r["harmful"]), int(r["n"])) for r in table] == expected
    families = rd_export.to_json(report)["families"]
    assert [(f["family"], f["verdict"], f["k"], f["n"]) for f in families] == expected
    markdown = [line for line in rd_export.to_markdown(report).splitlines() if line.startswith("| ") and "**" in line]
    assert [line.split(" | ")[1] for line in markdown] == [f"**{e[1]}**" for e in expected]
    text = rd_export.to_text(report).splitlines()
    for row in rows:
        assert any(line.startswith(row.name) and row.verdict.status.label in line for line in text)
