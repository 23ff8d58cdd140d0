"""Command-line behaviour: summary, progress, exit codes, the ingest log, late schema rejects."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb

from evalboard.commands.ingest import Progress, main
from evalboard.ingest.writer import SourceStats
from tests.ingest.util import assert_adds_up, ingest, quarantine, samples


def line(sid: str, **extra: object) -> str:
    return json.dumps({"sample_id": sid, "snapshot": "m", "harmful": False, **extra})


def test_row_that_fails_arrow_conversion_is_quarantined_not_the_batch(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text("\n".join([line("ok1"), line("big", epoch=2**40), line("ok2")]) + "\n")
    result = ingest(src, "--out", out)
    assert result.code == 0
    assert [r["sample_id"] for r in samples(out)] == ["ok1", "ok2"]
    [q] = quarantine(out)
    assert q["position"] == "line 2" and "does not fit the canonical schema" in q["reason"]
    assert_adds_up(out)


def test_unrecognised_file_and_mixed_sources(tmp_path: Path, out: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    src = tmp_path / "a.jsonl"
    src.write_text(line("x") + "\n")
    result = ingest(odd, src, "--out", out)
    assert result.code == 0
    assert "files read: 2 (1 with new records, 0 already in the dataset, 1 with nothing imported)" in result.out
    [q] = quarantine(out)
    assert (q["reason"], q["records"]) == ("not a format evalboard reads", "unknown")
    assert f"  {odd} — unknown count: not an eval log evalboard knows" in result.out


def test_ingest_log_is_readable_by_duckdb(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(line("x") + "\n" + "{oops\n")
    ingest(src, "--out", out)
    ingest(src, "--out", out)
    log = duckdb.sql(
        f"SELECT source, format, records, imported, already_present, rejected FROM '{out}/ingest_log.jsonl'"
    )
    assert log.fetchall() == [(str(src), "jsonl", 2, 1, 0, 1), (str(src), "jsonl", 2, 0, 1, 1)]


def test_help_and_progress(tmp_path: Path) -> None:
    assert main(["--help"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    stream = io.StringIO()
    progress = Progress(stream, total_files=3, enabled=True)
    progress.last -= 10  # pretend time has passed
    progress.file(2)
    progress(SourceStats(str(tmp_path / "big.jsonl"), "jsonl", records=500))
    assert "file 2/3" in stream.getvalue() and "500 records" in stream.getvalue()
    quiet = io.StringIO()
    Progress(quiet, total_files=1, enabled=False)(SourceStats("x", "jsonl", records=1))
    assert quiet.getvalue() == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise(tmp_path: Path) -> None:
    from evalboard.ingest.detect import Found

    tty = _Terminal()
    bar = Progress(tty, total_files=2, enabled=True, total_bytes=1000)
    bar.file(1, Found(tmp_path / "a.jsonl", "jsonl", "JSONL (one record per line)"), size=800)
    bar.last -= 10
    bar.bytes_read(400)
    bar(SourceStats("a", "jsonl", records=1234))
    text = tty.getvalue()
    assert f"file 1/2: {tmp_path / 'a.jsonl'} — JSONL (one record per line) [jsonl]\n" in text
    assert "\r[#########...............]  40%  1,234 records  file 1/2" in text and "ETA " in text
    plain = io.StringIO()
    lines = Progress(plain, total_files=1, enabled=True, total_bytes=100)
    lines.file(1, None, size=100)
    lines.last -= 10
    lines.bytes_read(50)
    lines(SourceStats("a", "jsonl", records=10))
    assert (
        plain.getvalue().startswith("ingest: 50% of the bytes  10 records  file 1/1") and "\r" not in plain.getvalue()
    )


def test_progress_lines_from_a_real_run_when_not_a_tty(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text("".join(line(f"s{i}") + "\n" for i in range(3)))
    stderr = io.StringIO()
    assert main([str(src), "--out", str(out)], stdout=io.StringIO(), stderr=stderr) == 0
    assert stderr.getvalue() == f"file 1/1: {src} — JSONL (one record per line) [jsonl]\n"
