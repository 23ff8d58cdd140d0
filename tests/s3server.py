"""A real S3 API for the tests: moto's threaded server on 127.0.0.1 (never a mocked client, never past loopback).

`s3_server` starts one server for the session; `s3_bucket` gives a test its own empty bucket and points the standard
AWS environment (`AWS_ENDPOINT_URL`, keys, region; `AWS_ALLOW_HTTP` for delta-rs) at the server, so the code under
test and every process it starts find the bucket the way they would find a real one."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

_NAMES = itertools.count()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server on 127.0.0.1 (a free port), stopped after the session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def aws_environment(endpoint: str) -> dict[str, str]:
    """The standard AWS variables that point a client (boto3, pyarrow, delta-rs) at `endpoint` with test keys."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "evalboard-test",
        "AWS_SECRET_ACCESS_KEY": "evalboard-test-secret",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }


@pytest.fixture
def s3_bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://<bucket>`: a new empty bucket on the test server, with the AWS environment pointing at it."""
    import boto3

    for name, value in aws_environment(s3_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"evalboard-test-{next(_NAMES)}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return f"s3://{bucket}"
