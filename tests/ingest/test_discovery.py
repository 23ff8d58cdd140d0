"""Discovery never crashes nor blocks (issue 22, item 4): symlink loops, broken links, FIFOs and devices among
the sources are named with why and skipped; everything else is imported."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.ingest.test_columnar import simple
from tests.ingest.util import counts, run


def _odd_folder(root: Path) -> Path:
    root.mkdir()
    (root / "good.jsonl").write_text(json.dumps(simple(1)) + "\n")
    (root / "a.jsonl").symlink_to("b.jsonl")  # two files linking to each other
    (root / "b.jsonl").symlink_to("a.jsonl")
    (root / "broken.jsonl").symlink_to("nowhere.jsonl")
    os.mkfifo(root / "pipe.jsonl")  # opening it would wait for a writer forever
    (root / "zero.jsonl").symlink_to("/dev/zero")  # reading it would never end
    return root


def test_loops_links_fifos_and_devices_are_named_and_skipped(tmp_path: Path, out: Path) -> None:
    root = _odd_folder(tmp_path / "src")
    result = run(root, root / "a.jsonl", root / "pipe.jsonl", "/dev/null", "--out", out, timeout=60)
    assert result.code == 0, result
    assert counts(result.out) == {"records": 1, "imported": 1, "present": 0, "quarantined": 0}
    assert "internal error" not in result.err and "Traceback" not in result.err
    named = {line.strip().split(" — ")[0]: line.split(" — ")[1] for line in result.out.splitlines() if " — " in line}
    assert named[str(root / "a.jsonl")] == "a symbolic link loop"
    assert named[str(root / "b.jsonl")] == "a symbolic link loop"
    assert named[str(root / "broken.jsonl")].startswith("a broken symbolic link")
    assert named[str(root / "pipe.jsonl")] == "a named pipe (FIFO), not a file"
    assert named[str(root / "zero.jsonl")] == named["/dev/null"] == "a device, not a file"
    assert "skipped, not files that can be read: 6" in result.out


def test_only_a_loop_given_imports_nothing_and_says_why(tmp_path: Path, out: Path) -> None:
    root = _odd_folder(tmp_path / "src")
    result = run(root / "a.jsonl", "--out", out, "--format", "jsonl", timeout=60)
    assert result.code == 1, result
    assert f"{root / 'a.jsonl'} — a symbolic link loop" in result.out
    missing = run(root / "nothing-here.jsonl", "--out", out, timeout=60)
    assert missing.code == 2 and "no such file or folder" in missing.err


def test_a_format_walk_skips_the_same_entries(tmp_path: Path, out: Path) -> None:
    root = _odd_folder(tmp_path / "src")
    result = run(root, "--out", out, "--format", "jsonl", timeout=60)
    assert result.code == 0, result
    assert counts(result.out)["imported"] == 1
    assert "skipped, not files that can be read: 5" in result.out
