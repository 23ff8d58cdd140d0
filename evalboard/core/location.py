"""What a dataset location is — a local folder or `s3://bucket/prefix` — parsed once (docs/ARCHITECTURE.md, "Dataset
locations and Delta tables").

Each table lives at `<dataset>/<table>/`; it is a Delta table when `<dataset>/<table>/_delta_log/` exists, otherwise
today's plain folder of Parquet files. Credentials and the endpoint come only from the standard AWS environment
(`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_PROFILE`); `storage_options()`
adds only what delta-rs cannot derive itself (plain HTTP for an `http://` endpoint, bounded retries) and never holds a
secret. `storage_problem()` turns a storage failure into one line that names no credential.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

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


def parse(value: str | os.PathLike[str]) -> Location:
    """A `Location` from what a user typed: `s3://bucket[/prefix]` or a local path."""
    text = os.fspath(value)
    if text.lower().startswith("s3:/") and not text.lower().startswith(S3):  # a Path("s3://…") lost a slash
        text = S3 + text[len("s3:/") :]
    if text.lower().startswith(S3):
        rest = text[len(S3) :].strip("/")
        bucket = rest.split("/", 1)[0]
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
            raise LocationError(f"{text!r} does not name an S3 bucket (s3://bucket/prefix)")
        return Location(S3 + rest, None)
    if "://" in text:
        raise LocationError(f"{text!r}: only local folders and s3://bucket/prefix are dataset locations")
    path = Path(text).absolute()
    return Location(str(path), path)


def is_remote(value: str | os.PathLike[str]) -> bool:
    """Whether `value` names an S3 location (without validating it)."""
    return os.fspath(value).lower().startswith("s3:/")


def storage_options() -> dict[str, str]:
    """delta-rs options from the standard AWS environment: plain HTTP allowed only for an `http://` endpoint, and
    bounded retries. No credential is copied here (delta-rs reads them from the environment or the profile)."""
    options = dict(RETRIES)
    if os.environ.get("AWS_ENDPOINT_URL", "").lower().startswith("http://"):
        options["AWS_ALLOW_HTTP"] = "true"
    return options


# What a storage failure means, from the words of delta-rs / object_store / the AWS SDK (checked in order).
_PROBLEMS = (
    (("NoSuchBucket", "bucket does not exist"), "the bucket {bucket} does not exist"),
    (
        (
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
            "Forbidden",
            "403",
            "ExpiredToken",
            "No credentials",
            "no credentials",
            "InvalidToken",
        ),
        "the storage refused the credentials (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)",
    ),
    (
        (
            "error sending request",
            "client error (Connect)",
            "Connection refused",
            "connection refused",
            "timed out",
            "Timeout",
            "dns error",
            "Could not connect",
            "Couldn't connect",
            "curlCode",
        ),
        "the storage endpoint {endpoint} cannot be reached",
    ),
    (
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
)


def storage_problem(exc: BaseException, location: Location) -> str | None:
    """One line saying what went wrong with the storage (None when `exc` is not a storage failure we recognise).
    Names the location and the endpoint, never a credential."""
    text = f"{type(exc).__name__}: {exc}"
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or "(AWS default)"
    for words, line in _PROBLEMS:
        if any(w in text for w in words):
            return f"{location}: " + line.format(bucket=location.bucket or "?", endpoint=endpoint)
    return None
