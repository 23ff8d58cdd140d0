"""Each storage decision lives in one place (docs/ARCHITECTURE.md, "Dataset locations and Delta tables"): what a
dataset location is, the one storage error and its one line, the delta-rs options, and opening a Delta table. A
second definition anywhere in the package (a class, a function, a method, a constant) fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evalboard.core import location, paths
from evalboard.core.exit_codes import EXIT_STORAGE
from tests.helpers import REPO

PACKAGE = REPO / "evalboard"
HOMES = {
    "StorageError": "evalboard/core/location.py",
    "storage_error": "evalboard/core/location.py",
    "storage_options": "evalboard/core/location.py",
    "is_remote": "evalboard/core/location.py",
    "table_uri": "evalboard/core/location.py",
    "endpoint_url": "evalboard/core/location.py",
    "endpoint": "evalboard/core/location.py",
    "REMOTE_SCHEMES": None,  # gone: `location.is_remote` says what is remote
    "RETRY_OPTIONS": None,  # gone: `location.RETRIES`
    "redact": "evalboard/ui/session.py",  # the page's own redaction of server paths; storage lines hold no secret
    "is_delta": "evalboard/data/delta.py",
    "open_table": "evalboard/data/delta.py",
}


def definitions() -> dict[str, list[str]]:
    """Every name defined in the package (classes, functions, methods, assigned names) → the files defining it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(REPO))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            else:
                continue
            for name in names:
                found.setdefault(name, []).append(relative)
    return found


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_storage_decision_is_defined_once_in_its_home(name: str) -> None:
    where = definitions().get(name, [])
    home = HOMES[name]
    assert where == ([home] if home else []), f"{name} is defined in {where}; it belongs in {home}"


def test_the_one_storage_error_is_not_an_os_error_and_says_one_line() -> None:
    """Local-file handlers (`except OSError`) must not swallow a storage failure; every fault keeps exit 6."""
    assert not issubclass(location.StorageError, OSError)
    refused = OSError("Generic S3 error: ... AccessDenied ...\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIA…")
    error = location.storage_error(refused, location.parse("s3://team-bucket/evals"))
    assert error.kind == "credentials" and error.code == EXIT_STORAGE
    assert str(error).startswith("s3://team-bucket/evals: ") and "\n" not in str(error) and "AKIA" not in str(error)


def test_storage_options_allow_http_only_for_an_http_endpoint_and_bound_retries(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    assert location.storage_options()["AWS_ALLOW_HTTP"] == "true"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://s3.example.internal")
    options = location.storage_options()
    assert "AWS_ALLOW_HTTP" not in options and options["max_retries"] == location.RETRIES["max_retries"]
    assert not any("SECRET" in k or "KEY" in k for k in options)


def test_a_dataset_location_is_parsed_one_way_everywhere(tmp_path: Path) -> None:
    assert paths.dataset_location("s3://bkt/a/") == location.parse("s3://bkt/a/").uri == "s3://bkt/a"
    assert paths.dataset_location(Path("s3://bkt/a")) == "s3://bkt/a"  # a Path folded the `//`
    assert location.resolved(tmp_path / "x" / ".." / "ds") == str((tmp_path / "ds").resolve())
    # Reading takes any bucket name (a bad one is the storage's fault: exit 6); writing refuses it before it starts.
    assert paths.dataset_location("s3://Bad_Bucket/x") == "s3://Bad_Bucket/x"
    with pytest.raises(location.LocationError):
        location.parse("s3://Bad_Bucket/x")
