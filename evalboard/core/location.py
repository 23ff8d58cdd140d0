"""What a dataset location is — a local folder or `s3://bucket/prefix` — parsed once (docs/ARCHITECTURE.md, "Dataset
locations and Delta tables").

Each table lives at `<dataset>/<table>/`; it is a Delta table when `<dataset>/<table>/_delta_log/` exists, otherwise
today's plain folder of Parquet files. Credentials and the endpoint come only from the standard AWS environment
(`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_PROFILE`); `storage_options()`
adds only what delta-rs cannot derive itself (plain HTTP for an `http://` endpoint, bounded retries) and never holds a
secret. `storage_error()` turns a storage failure into the one `StorageError` every command and page shows: one line
naming the location and the endpoint, never a credential. Nothing else in the package defines these
(tests/test_location_once.py checks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from evalboard.core.exit_codes import EXIT_STORAGE

S3 = "s3://"
DELTA_LOG = "_delta_log"
# Bounded waits: an unreachable endpoint is said within seconds, not after object_store's default three minutes.
RETRIES = {"max_retries": "3", "retry_timeout": "20s", "connect_timeout": "5s", "timeout": "60s"}


@dataclass(frozen=True)
class Location:
    """A dataset: `uri` is an absolute local path or `s3://bucket/prefix` (no trailing slash); `path` the local
    folder (None on S3)."""

    uri: str
    path: Path | None

    @property
    def remote(self) -> bool:
        return self.path is None

    @property
    def bucket(self) -> str:
        return self.uri[len(S3) :].split("/", 1)[0] if self.remote else ""

    def table_uri(self, table: str) -> str:
        """Where `table` lives: `<dataset>/<table>`."""
        return f"{self.uri}/{table}" if self.remote else str(self.path / table)  # type: ignore[operator]

    def __str__(self) -> str:
        return self.uri


class LocationError(ValueError):
    """A dataset location that cannot be a dataset (the message says why)."""


def parse(value: str | os.PathLike[str], strict: bool = True) -> Location:
    """A `Location` from what a user typed: `s3://bucket[/prefix]` or a local path. `strict=False` (reading: the
    store, `--data`, `EVALBOARD_DATA`) skips the bucket name's check, so a bad name is the storage's one-line fault
    (exit 6, a page's notice) instead of an error before anything is read."""
    text = os.fspath(value)
    if text.lower().startswith("s3:/") and not text.lower().startswith(S3):  # a Path("s3://…") lost a slash
        text = S3 + text[len("s3:/") :]
    if text.lower().startswith(S3):
        rest = text[len(S3) :].strip("/")
        bucket = rest.split("/", 1)[0]
        if strict and not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
            raise LocationError(f"{text!r} does not name an S3 bucket (s3://bucket/prefix)")
        return Location(S3 + rest, None)
    if "://" in text:
        raise LocationError(f"{text!r}: only local folders and s3://bucket/prefix are dataset locations")
    path = Path(text).absolute()
    return Location(str(path), path)


def is_remote(value: str | os.PathLike[str]) -> bool:
    """Whether `value` names an S3 location (without validating it; `s3:/` too: a Path folds the `//`)."""
    return os.fspath(value).lower().startswith("s3:/")


def resolved(value: str | os.PathLike[str]) -> str:
    """The dataset as another process should be told it: an absolute folder path (symlinks resolved), or the URI."""
    location = parse(value, strict=False)
    return location.uri if location.path is None else str(location.path.resolve())


def storage_options() -> dict[str, str]:
    """delta-rs options from the standard AWS environment: plain HTTP allowed only for an `http://` endpoint, and
    bounded retries. No credential is copied here (delta-rs reads them from the environment or the profile)."""
    options = dict(RETRIES)
    if os.environ.get("AWS_ENDPOINT_URL", "").lower().startswith("http://"):
        options["AWS_ALLOW_HTTP"] = "true"
    return options


class StorageError(RuntimeError):
    """The storage of a dataset or a source failed: unreachable, refused credentials, no such bucket, a commit conflict
    past its retries, or (kind "version") a version the table does not have. `str()` is one line with no secret;
    `code` is the command's exit code.

    A RuntimeError, not an OSError: every local-file handler (`except OSError` around a source file, the quarantine,
    a read-only folder) would otherwise take a storage failure for one bad file and carry on, and OSError's two-argument
    form turns the message into `[Errno …]`."""

    def __init__(self, message: str, kind: str = "storage", code: int = EXIT_STORAGE) -> None:
        super().__init__(message)
        self.kind = kind  # "bucket", "credentials", "unreachable", "conflict", "version", "storage"
        self.code = code


# What a storage failure means, from the words of delta-rs / object_store, pyarrow's AWS SDK and the S3 API (checked
# in order): (kind, words, the line after "<location>: ").
_PROBLEMS = (
    ("bucket", ("NoSuchBucket", "NO_SUCH_BUCKET", "bucket does not exist"), "no such bucket"),
    (
        "credentials",
        (
            "InvalidAccessKeyId",
            "INVALID_ACCESS_KEY_ID",
            "SignatureDoesNotMatch",
            "SIGNATURE_DOES_NOT_MATCH",
            "AccessDenied",
            "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN",
            "Forbidden",
            "403",
            "ExpiredToken",
            "No credentials",
            "no credentials",
            "InvalidToken",
        ),
        "the storage endpoint {endpoint} refused the credentials (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
        "or AWS_PROFILE, and that they may use this bucket)",
    ),
    (
        "conflict",
        (
            "Transaction failed",
            "CommitFailed",
            "version already exists",
            "commit conflict",
            "ConcurrentAppend",
            "Failed to commit transaction",
            "max commit attempts",
        ),
        "another writer's commit conflicted with this one past its retries; run the same command again",
    ),
    (
        "unreachable",
        (
            "error sending request",
            "client error (Connect)",
            "Connection refused",
            "connection refused",
            "NETWORK_CONNECTION",
            "timed out",
            "Timeout",
            "dns error",
            "Could not connect",
            "Couldn't connect",
            "curlCode",
            "HTTP error",
        ),
        "cannot reach the storage endpoint {endpoint} (check AWS_ENDPOINT_URL)",
    ),
)


def endpoint_url() -> str | None:
    """The S3 endpoint the standard AWS environment names (None: AWS itself)."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def endpoint() -> str:
    """The S3 endpoint as shown to people: its `host:port` (never a user or password a URL could carry)."""
    url = endpoint_url()
    if not url:
        return "AWS S3"
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "the S3 endpoint"


def _known(exc: BaseException) -> tuple[str, str] | None:
    """(kind, what went wrong) for a storage failure we recognise, else None. Names the endpoint, never a credential."""
    text = f"{type(exc).__name__}: {exc}"
    for kind, words, line in _PROBLEMS:
        if any(w in text for w in words):
            return kind, line.format(endpoint=endpoint())
    return None


def storage_error(exc: BaseException, where: Location | str) -> StorageError:
    """`exc` (from delta-rs, pyarrow's S3 filesystem or DuckDB reading one) as the one-line `StorageError` for
    `where` (a dataset, or a source URI as the user typed it). An unrecognised failure keeps the first line of its
    text (no request, no header: those follow on later lines)."""
    if isinstance(exc, StorageError):
        return exc
    known = _known(exc)
    if known is None:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        known = ("storage", f"storage error ({type(exc).__name__}: {first[:200]})")
    kind, line = known
    return StorageError(f"{where}: {line}", kind)
