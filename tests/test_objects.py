"""data/objects.py: an object is copied whole and as stored, atomically, and a local fault is told from a storage
one (the S3 paths through it run against moto in test_delta_s3.py, test_search_s3.py, ingest/test_s3_sources.py)."""

from __future__ import annotations

import gzip
import io

import pyarrow.fs as pafs
import pytest

from evalboard.data import objects


def test_an_object_is_copied_whole_and_as_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(objects, "CHUNK", 7)  # several reads
    body = gzip.compress(b"not inflated on the way" * 100)
    (tmp_path / "log.json.gz").write_bytes(body)
    target = tmp_path / "copies" / "log.json.gz"
    objects.copy(pafs.LocalFileSystem(), str(tmp_path / "log.json.gz"), target)
    assert target.read_bytes() == body
    assert [p.name for p in target.parent.iterdir()] == ["log.json.gz"]  # no temporary file left


def test_a_storage_fault_is_not_a_local_one_and_leaves_no_copy(tmp_path):
    target = tmp_path / "copy"
    with pytest.raises(OSError) as raised:
        objects.copy(pafs.LocalFileSystem(), str(tmp_path / "absent"), target)
    assert not isinstance(raised.value, objects.LocalWriteError)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_a_local_fault_is_a_local_write_error(tmp_path):
    (tmp_path / "object").write_bytes(b"x" * 10)
    (tmp_path / "blocked").write_bytes(b"")  # a file where the copy's folder should be
    with pytest.raises(objects.LocalWriteError):
        objects.copy(pafs.LocalFileSystem(), str(tmp_path / "object"), tmp_path / "blocked" / "copy")

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(objects.LocalWriteError, match="No space left"):
        objects.save(pafs.LocalFileSystem(), str(tmp_path / "object"), Full())
