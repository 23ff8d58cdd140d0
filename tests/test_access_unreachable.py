"""Access fails closed on object storage: a replica that has never read a remote dataset's dataset.toml (its storage
unreachable) lets nobody in, rather than reading "no file" as "no access rules"; one that read it before keeps the
copy it fetched (docs/ARCHITECTURE.md, "Sign-in and access")."""

from __future__ import annotations

import socket

import pytest

from evalboard.core.location import StorageError
from evalboard.core.manifest import MANIFEST_NAME
from evalboard.data.delta import cache_dir, manifest_folder
from evalboard.screens import access
from evalboard.screens.access import Identity, Role
from tests.s3server import aws_environment

DATASET = "s3://evalboard-unreachable/team"


@pytest.fixture
def unreachable(tmp_path, monkeypatch):
    """The AWS environment pointing at a loopback port nothing listens on, and an empty replica cache."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: connections are refused
    for name, value in aws_environment(f"http://127.0.0.1:{port}").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_a_dataset_toml_never_fetched_lets_nobody_in(unreachable):
    with pytest.raises(StorageError) as caught:
        manifest_folder(DATASET)
    rules = access.unreadable(str(caught.value))
    someone = Identity(subject="u1", email="lead@example.org", groups=())
    assert access.role(rules, someone) is Role.NONE
    assert access.role(access.Access(), someone) is Role.REVIEWER  # what "no rules" would have granted


def test_a_copy_fetched_before_is_kept_while_the_storage_is_unreachable(unreachable):
    folder = cache_dir(DATASET)
    folder.mkdir(parents=True)
    (folder / MANIFEST_NAME).write_text('[access]\nviewers = ["lead@example.org"]\n', encoding="utf-8")
    assert manifest_folder(DATASET) == folder
    rules = access.load(folder)
    assert access.role(rules, Identity(subject="u1", email="lead@example.org", groups=())) is Role.VIEWER
