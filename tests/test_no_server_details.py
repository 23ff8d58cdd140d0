"""Nothing of the server reaches a visitor: every page of the demo (its folded sections opened) and every file it
offers for download are scanned for the server's absolute paths (the repository, the data folder, the home
folder), its host name and its user name."""

from __future__ import annotations

import getpass
import os
import re
import socket
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from evalboard.core import paths
from evalboard.screens import transcripts as samples
from evalboard.ui.session import get_store
from tests.harness import REPO, app_test, opened

SAMPLE = "s-0000f8935748f9"  # a transcript of the demo (its viewer offers a per-message download)


def server_details() -> dict[str, re.Pattern[str]]:
    """What must not show: each absolute folder as a path, the host and user names as whole words."""
    folders = {REPO, paths.APP_ROOT, paths.default_data().resolve(), Path.home(), Path.cwd()}
    found = {f"path {f}": re.compile(re.escape(str(f)) + r"(?![\w.-])") for f in folders if len(f.parts) > 1}
    for what, name in (("host name", socket.gethostname()), ("user name", getpass.getuser())):
        if name and name != "root":  # "root" is an English word; HOME=/root is caught as a path
            found[f"{what} {name}"] = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])")
    return found


def element_texts(node) -> list[str]:
    """The text form of every element under `node` (labels, values, help, links, tables' bytes)."""
    out = []
    proto = getattr(node, "proto", None)
    if proto is not None:
        out.append(str(proto))
    children = getattr(node, "children", None)
    for child in children.values() if isinstance(children, dict) else children or []:
        out.extend(element_texts(child))
    return out


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """Every file the pages offer for download, deferred ones generated at once."""
    files: list[str] = []
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record(data) -> None:
        files.append(data.decode(errors="replace") if isinstance(data, bytes) else str(data))

    def add_recorded(self, path_or_data, *args, **kwargs):
        record(path_or_data)
        return add(self, path_or_data, *args, **kwargs)

    def add_deferred_recorded(self, data, *args, **kwargs):
        record(data())
        return add_deferred(self, data, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", add_recorded)
    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred_recorded)
    return files


def visits():
    """(name, AppTest) for every page of the demo with its folded sections open."""
    at = app_test({"snapshots": "all"})
    yield "overview", opened(at, "overview_numbers", "share_view")
    for page, query, folds in (
        ("transcripts", {"sample": SAMPLE}, ("conditions-*", "share_view")),
        ("compare", {}, ("share_comparison", "share_view")),
        ("readiness", {}, ("readiness_summary", "share_view")),
        ("agreement", {}, ("share_view",)),
        ("data_health", {}, ("share_view",)),
    ):
        yield page, opened(app_test(query, page=page), *folds)


def test_no_page_or_download_shows_the_servers_paths_host_or_user(downloads):
    assert samples.sample_detail(get_store(), SAMPLE) is not None, "the demo lacks the transcript this test opens"
    details = server_details()
    seen: list[tuple[str, str]] = []
    pages = 0
    for name, at in visits():
        assert not at.exception, (name, at.exception)
        seen += [(name, text) for text in element_texts(at._tree)]
        pages += 1
    assert pages == 6 and len(downloads) >= 5  # Readiness CSV + Markdown, Compare CSV, two review exports, ...
    seen += [("download", text) for text in downloads]
    leaks = [(where, what) for where, text in seen for what, pattern in details.items() if pattern.search(text)]
    assert not leaks, leaks[:10]


def test_the_scan_finds_a_path_where_there_is_one():
    """The patterns match the forms a leak takes (a path, a path inside Markdown, the home folder)."""
    details = server_details()
    for text in (f"**Gates:** {REPO}/gates.toml", f"`{paths.default_data().resolve()}`", f"{Path.home()}/x"):
        assert any(p.search(text) for p in details.values()), text
    assert os.sep in str(REPO)
