"""No verdict on partial data (issue 22, item 1): when any file of the dataset is left out (damaged data pages behind
a readable footer, not Parquet at all, the wrong schema), `evalboard readiness` exits 5 "data incomplete" naming the
file and what it held, unless `--allow-partial`, and then every output says so; the Readiness page blocks the same
way; re-importing the source of a damaged file brings its records back. Real files, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from evalboard.commands.readiness import main as readiness
from evalboard.core.exit_codes import EXIT_DATA_INCOMPLETE, EXIT_NOT_READY, EXIT_READY
from evalboard.data.store import Store
from evalboard.screens.readiness import catalog as rd_catalog
from evalboard.screens.readiness import export as rd_export
from evalboard.screens.readiness import judge as rd_judge
from evalboard.screens.readiness.gates import load_gates
from tests.helpers import REPO, damage_data_pages, sample, write_samples
from tests.ingest.test_columnar import simple
from tests.ingest.util import ingest
from tests.tables import seed_plain

GATES = "[default]\nmax_rate = 0.05\nmin_samples = 100\n"
HARMFUL_COLUMN = 11  # `harmful`: the ids still read, the verdicts do not


def two_files(root: Path) -> Path:
    """1,000 safe samples in one file and 300 harmful ones in another: intact, the snapshot is NOT READY."""
    write_samples(root / "samples" / "safe.parquet", [sample(i, harmful=False) for i in range(1000)])
    write_samples(root / "samples" / "harmful.parquet", [sample(1000 + i, harmful=True) for i in range(300)])
    return root


def cli(data: Path, gates: Path, *more: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "evalboard", "readiness", "snap-a", "--data", str(data), "--gates", str(gates)]
    return subprocess.run([*command, *more], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def gates(tmp_path: Path) -> Path:
    path = tmp_path / "gates.toml"
    path.write_text(GATES)
    return path


def test_damaged_data_pages_give_no_verdict(tmp_path: Path, gates: Path) -> None:
    root = two_files(tmp_path / "data")
    assert cli(root, gates).returncode == EXIT_NOT_READY  # the intact data
    damage_data_pages(root / "samples" / "harmful.parquet", HARMFUL_COLUMN)
    done = cli(root, gates)
    assert done.returncode == EXIT_DATA_INCOMPLETE, done
    assert done.stdout.startswith("DATA INCOMPLETE: 1 file of the dataset is left out")
    assert "samples/harmful.parquet (samples): damaged data" in done.stdout
    assert "it held 300 samples, snapshot 'snap-a'" in done.stdout
    assert "READY" not in done.stdout.replace("DATA INCOMPLETE", "")
    assert "data incomplete" in done.stderr


def test_allow_partial_judges_the_rest_and_every_output_says_so(tmp_path: Path, gates: Path) -> None:
    root = two_files(tmp_path / "data")
    damage_data_pages(root / "samples" / "harmful.parquet", HARMFUL_COLUMN)
    text = cli(root, gates, "--allow-partial")
    assert text.returncode == EXIT_READY, text  # what the readable file says, and said to be partial
    assert text.stdout.startswith("PARTIAL DATA: 1 file of the dataset was left out")
    assert "left out: samples/harmful.parquet (samples)" in text.stdout
    assert "partial data" in text.stderr
    report = json.loads(cli(root, gates, "--allow-partial", "--format", "json").stdout)
    assert report["partial_data"] is True and report["verdict"] == "READY"
    assert [f["file"] for f in report["left_out"]] == ["samples/harmful.parquet"]
    markdown = cli(root, gates, "--allow-partial", "--format", "markdown").stdout
    assert markdown.startswith("### Release readiness: snap-a — READY (ON PARTIAL DATA)")
    assert "PARTIAL DATA" in markdown.split("\n")[2]
    judged = rd_judge.judge(rd_catalog.load_catalog(Store(root)), "snap-a", load_gates(gates))
    header, row = rd_export.to_csv(judged).splitlines()[:2]
    assert header.endswith("partial_data,files_left_out") and row.endswith("True,1")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"PAR1 this is not parquet at all", "not a readable Parquet file"),
        (None, "missing column 'harmful'"),
    ],
)
def test_unreadable_or_wrong_schema_files_give_no_verdict(tmp_path, capsys, gates, content, problem) -> None:
    root = two_files(tmp_path / "data")
    bad = root / "samples" / "extra.parquet"
    if content is None:
        table = pa.Table.from_pylist([sample(5000)]).drop_columns(["harmful"])
        write_samples(bad, table.to_pylist(), table.schema)
    else:
        bad.write_bytes(content)
    code = readiness(["snap-a", "--data", str(root), "--gates", str(gates)])
    out = capsys.readouterr().out
    assert code == EXIT_DATA_INCOMPLETE
    assert f"samples/extra.parquet (samples): {problem}" in out


def test_every_file_left_out_counts_transcripts_too(tmp_path, capsys, gates) -> None:
    root = two_files(tmp_path / "data")
    (root / "transcripts").mkdir()
    (root / "transcripts" / "t.parquet").write_bytes(b"not parquet")
    assert readiness(["snap-a", "--data", str(root), "--gates", str(gates)]) == EXIT_DATA_INCOMPLETE
    assert "transcripts/t.parquet (transcripts)" in capsys.readouterr().out


def test_reimporting_the_source_of_a_damaged_file_repairs_it(tmp_path: Path, capsys, gates: Path) -> None:
    """The ids of a file the store leaves out are not "already present": the same command imports them again, and
    once the damaged file is removed the verdict is the intact data's."""
    records = [simple(i, stage_step=100, harmful=False, snapshot="snap-a") for i in range(1000)]
    records += [simple(1000 + i, stage_step=100, harmful=True, snapshot="snap-a") for i in range(300)]
    safe, harmful = tmp_path / "safe.jsonl", tmp_path / "harmful.jsonl"
    safe.write_text("".join(json.dumps(r) + "\n" for r in records[:1000]))
    harmful.write_text("".join(json.dumps(r) + "\n" for r in records[1000:]))
    out = tmp_path / "data"
    seed_plain(out)  # a plain-Parquet dataset's rule (a Delta table's: tests/test_delta_repair.py)
    assert ingest(safe, harmful, "--out", out).code == 0
    [damaged] = [p for p in (out / "samples").glob("*.parquet") if "harmful" in p.name]
    damage_data_pages(damaged, HARMFUL_COLUMN)
    argv = ["snap-a", "--data", str(out), "--gates", str(gates)]
    assert readiness(argv) == EXIT_DATA_INCOMPLETE
    assert (
        f"it held 300 samples, snapshot 'snap-a', intervention 'safe_demos', scenario_family 'blackmail', "
        f"imported from {harmful}" in capsys.readouterr().out
    )
    again = ingest(harmful, "--out", out)
    assert again.code == 0 and "imported 300" in again.out, again
    assert f"{damaged}: damaged data" in again.err
    damaged.unlink()
    assert readiness(argv) == EXIT_NOT_READY


APP = str(REPO / "app.py")


def test_readiness_page_blocks_in_place_of_the_verdict(tmp_path: Path, monkeypatch) -> None:
    root = two_files(tmp_path / "data")
    damage_data_pages(root / "samples" / "harmful.parquet", HARMFUL_COLUMN)
    monkeypatch.setenv("EVALBOARD_DATA", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any("1 file(s) in the dataset folder could not be read" in w.value for w in at.warning)
    at.switch_page("pages/readiness.py").run()
    assert not at.exception
    [block] = [e.value for e in at.error if "No verdict: the data is incomplete" in e.value]
    assert "samples/harmful.parquet" in block and "300 samples" in block
    shown = "\n".join(m.value for m in at.markdown)
    assert "READY" not in shown  # no verdict box at all
    at.toggle(key="readiness_partial").set_value(True).run()
    shown = "\n".join(m.value for m in at.markdown).replace("\\", "")
    assert ":green[READY] :orange-badge[ON PARTIAL DATA]" in shown and "PARTIAL DATA: 1 file" in shown


def test_a_snapshot_only_a_damaged_file_holds_is_data_incomplete_not_unknown(tmp_path, capsys, gates) -> None:
    root = two_files(tmp_path / "data")
    write_samples(root / "samples" / "new.parquet", [sample(3000 + i, snapshot="snap-b") for i in range(50)])
    damage_data_pages(root / "samples" / "new.parquet", HARMFUL_COLUMN)
    code = readiness(["snap-b", "--data", str(root), "--gates", str(gates)])
    assert code == EXIT_DATA_INCOMPLETE
    assert "samples/new.parquet (samples)" in capsys.readouterr().out
    (root / "samples" / "safe.parquet").unlink()
    (root / "samples" / "harmful.parquet").unlink()  # no readable samples file at all: still data incomplete
    assert readiness(["snap-a", "--data", str(root), "--gates", str(gates)]) == EXIT_DATA_INCOMPLETE
