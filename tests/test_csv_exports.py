"""CSV exports: a cell a spreadsheet would run as a formula stays text; a comment line cannot start a row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from evalboard.core.fmt import csv_cell, csv_text
from evalboard.data import reviews
from evalboard.data.store import Store
from tests.helpers import sample, write_samples


def test_formula_looking_text_stays_text_and_numbers_stay_numbers():
    assert csv_cell('=HYPERLINK("http://127.0.0.2/x","click")').startswith("'=")
    for start in ("+cmd", "-cmd", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(start) == "'" + start
    assert csv_cell("-0.031") == "-0.031" and csv_cell("1e-05") == "1e-05" and csv_cell("-inf") == "-inf"
    assert csv_cell(" -1") == " -1" and csv_cell("-1 ") == "'-1 "
    assert csv_cell(-0.5) == -0.5 and csv_cell(3) == 3 and csv_cell(True) is True
    assert csv_cell(None) == "" and csv_cell("baseline") == "baseline"
    assert csv_cell(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "2026-01-02T03:04:00+00:00"


def test_a_comment_holding_a_line_break_stays_one_comment_line():
    text = csv_text(["family"], [["blackmail"]], comments=["A: evil\nname,=1+1"])
    lines = text.splitlines()
    assert lines == ["# A: evil\\nname,=1+1", "family", "blackmail"]


def test_a_reviewers_formula_note_is_exported_as_text(tmp_path):
    write_samples(tmp_path / "samples" / "a.parquet", [sample(1)])
    reviews.write(tmp_path, reviews.Review("t-000001", "=cmd|' /C calc'!A0", "harmful", note="@SUM(1+1)*cmd"))
    rows = list(csv.DictReader(io.StringIO(reviews.to_csv(reviews.all_reviews(Store(tmp_path))))))
    assert rows[0]["reviewer"] == "'=cmd|' /C calc'!A0" and rows[0]["note"] == "'@SUM(1+1)*cmd"
    assert rows[0]["sample_id"] == "t-000001" and rows[0]["created_at"].endswith("+00:00")
