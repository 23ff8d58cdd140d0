"""Sources on S3: `evalboard ingest s3://bucket/prefix/ …` (docs/ARCHITECTURE.md, "Sources on S3").

Each object under the prefix is fetched whole (a few at a time, in large sequential reads, never the small ranged
reads a zip reader would make) into a private temporary folder laid out as `<bucket>/<key>`; the ordinary discovery
and importers then read those copies, and every path they record (a row's `source`, the summary, the quarantine,
the ingest log) is given back as its `s3://` URI. An Inspect log still being written (Inspect's own status
"started") is skipped and named. The client comes from the standard AWS environment only: `AWS_ENDPOINT_URL`
(or `AWS_ENDPOINT_URL_S3`), `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, `AWS_REGION`,
`AWS_PROFILE`; no message ever includes a credential.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyarrow import fs

from evalboard.core.location import StorageError, endpoint_url, storage_error
from evalboard.data import objects
from evalboard.ingest.detect import Found
from evalboard.ingest.writer import SourceStats

SCHEME = "s3://"
PARALLEL = 4  # objects fetched at once (bench/s3_ingest.py), each `objects.CHUNK` held in memory at a time
CONNECT_TIMEOUT, REQUEST_TIMEOUT, ATTEMPTS = 10.0, 120.0, 3
STARTED = "started"  # Inspect's status of a log whose eval has not finished (docs/ARCHITECTURE.md)
HEADER, JOURNAL_START = "header.json", "_journal/start.json"  # an .eval's header, written when its eval ends
MAX_HEADER_BYTES = 128 * 2**20  # as formats/inspect.py's MAX_MEMBER_BYTES: a larger header is not inflated here
EXIT_MISSING = 2  # a bucket or prefix that holds nothing: like a local path that does not exist (bad argument)


def is_uri(source: object) -> bool:
    return isinstance(source, str) and source.startswith(SCHEME)


def source_argument(text: str) -> str | Path:
    """An ingest SOURCE argument: an `s3://` URI kept as text (a Path would fold its `//`), anything else a Path."""
    return text if is_uri(text) else Path(text)


def filesystem() -> fs.S3FileSystem:
    """A client from the standard AWS environment (keys, profile and region are read by the AWS SDK itself), with
    bounded timeouts and retries so an unreachable endpoint fails in seconds, not minutes."""
    options: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "request_timeout": REQUEST_TIMEOUT,
        "retry_strategy": fs.AwsStandardS3RetryStrategy(max_attempts=ATTEMPTS),
    }
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    if endpoint_url():
        options["endpoint_override"] = endpoint_url()
    return fs.S3FileSystem(**options)


def _split(uri: str) -> tuple[str, str]:
    """(bucket, key or prefix without its leading/trailing '/') of an `s3://` URI."""
    bucket, _, key = uri[len(SCHEME) :].partition("/")
    return bucket, key.strip("/")


def _fault(uri: str, exc: OSError) -> StorageError:
    """What an S3 error means for the user, as one line naming the URI (a missing bucket: a bad argument, exit 2)."""
    error = storage_error(exc, uri)
    if error.kind == "bucket":
        error.code = EXIT_MISSING
    return error


def _key_problem(key: str) -> str | None:
    """Why an object key cannot be a local file name under the temporary folder (None when it can)."""
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\0" in key:
        return "an object key with an empty, '.' or '..' part cannot be fetched as a file"
    return None


def listing(client: fs.FileSystem, uri: str) -> list[fs.FileInfo]:
    """The objects a URI stands for: the object itself, or every object under the prefix (the client pages through
    listings of any length). Raises `StorageError` for a fault or when there is nothing."""
    bucket, key = _split(uri)
    if not bucket:
        raise StorageError(f"{uri}: no bucket named", "source", EXIT_MISSING)
    try:
        if client.get_file_info(bucket).type == fs.FileType.NotFound:
            raise StorageError(f"{uri}: no such bucket", "bucket", EXIT_MISSING)
        if key and (info := client.get_file_info(f"{bucket}/{key}")).type == fs.FileType.File:
            return [info]
        selector = fs.FileSelector(f"{bucket}/{key}" if key else bucket, recursive=True, allow_not_found=True)
        found = [i for i in client.get_file_info(selector) if i.type == fs.FileType.File]
    except OSError as exc:
        raise _fault(uri, exc) from None
    if not found:
        raise StorageError(f"{uri}: no objects under this prefix", "source", EXIT_MISSING)
    return sorted(found, key=lambda i: i.path)


@dataclass
class Fetched:
    """The SOURCE arguments with each `s3://` URI replaced by the folder or file of its local copies; `close()`
    removes the copies. `uri(text)` turns a copy's path (or a path inside it) back into its URI."""

    paths: list[Path]
    root: Path | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URI, why) of objects not fetched
    objects: int = 0
    bytes: int = 0

    def uri(self, text: str | Path) -> str:
        text = str(text)
        if self.root is None:
            return text
        prefix = f"{self.root}{os.sep}"
        return SCHEME + text[len(prefix) :].replace(os.sep, "/") if text.startswith(prefix) else text

    def remote(self, path: Path) -> bool:
        return self.uri(path) != str(path)

    def close(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def settled(self, sources: list[Found]) -> tuple[list[Found], list[str]]:
        """The sources without the fetched Inspect logs still being written, and a line for each left out."""
        kept, notes = [], []
        for found in sources:
            if found.format == "inspect" and self.remote(found.path) and inspect_status(found.path) == STARTED:
                notes.append(
                    f"{self.uri(found.path)} — skipped: an Inspect log still being written (status '{STARTED}'); "
                    "ingest it again when its eval has finished"
                )
            else:
                kept.append(found)
        notes += [f"{uri} — skipped: {why}" for uri, why in self.skipped]
        return kept, notes

    def writer(self, writer: Any) -> Any:
        """`writer` recording each copy's path as its URI (the writer itself is untouched when nothing was fetched)."""
        return writer if self.root is None else RemoteNames(writer, self.uri)


def inspect_status(path: Path) -> str | None:
    """Inspect's own status of a log: "started" until its eval finishes. For an `.eval` the rule of Inspect's header
    reader (`inspect_ai.log._recorders.eval._read_header`), applied to the zip directly: `header.json`'s status, and
    "started" when the log has only its journal's start record (Inspect writes `header.json` when the eval ends).
    Inspect's `read_eval_log(header_only=True)` gives the same answer at ~40x the cost (bench/README.md), and is
    used for a `.json` log. None when the log cannot tell (the importer then says why)."""
    if zipfile.is_zipfile(path):
        with contextlib.suppress(ImportError):
            import inspect_ai.log  # noqa: F401  (Inspect writes members with zstd: importing it teaches zipfile)
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                if HEADER not in names:
                    return STARTED if JOURNAL_START in names else None
                if zf.getinfo(HEADER).file_size > MAX_HEADER_BYTES:
                    return None
                status = json.loads(zf.read(HEADER)).get("status")
                return status if isinstance(status, str) else None
        except (zipfile.BadZipFile, OSError, ValueError, AttributeError, NotImplementedError):  # e.g. no zstd
            return None
    try:
        from inspect_ai.log import read_eval_log  # the optional extra evalboard[inspect], as formats/inspect.py

        return str(read_eval_log(str(path), header_only=True).status)
    except Exception:
        return None


def fetch(sources: Sequence[str | Path], parallel: int = PARALLEL) -> Fetched:
    """Fetch every object the `s3://` sources stand for into a private temporary folder (local sources pass through
    unchanged). Lists all of them first (a fault or an empty prefix stops before anything is fetched), checks the
    temporary disk has room, then fetches them whole, `parallel` at a time."""
    uris = [s for s in sources if is_uri(s)]
    if not uris:
        return Fetched([Path(s) for s in sources])
    client = filesystem()
    wanted: dict[str, fs.FileInfo] = {}
    skipped: list[tuple[str, str]] = []
    for uri in uris:
        for info in listing(client, uri):
            why = _key_problem(info.path.partition("/")[2])
            if why is not None:
                skipped.append((SCHEME + info.path, why))
            else:
                wanted.setdefault(info.path, info)
    total = sum(i.size or 0 for i in wanted.values())
    root = Path(tempfile.mkdtemp(prefix="evalboard-s3-"))  # mode 0700: the copies are private to this user
    fetched = Fetched([], root, skipped, len(wanted), total)
    try:
        free = shutil.disk_usage(root).free
        if total > free:
            raise StorageError(
                f"{', '.join(uris)}: {len(wanted):,} objects ({total:,} bytes) do not fit in the {free:,} bytes free "
                f"in {root.parent}; set TMPDIR to a larger disk",
                "disk",
                1,
            )
        pool = ThreadPoolExecutor(max_workers=max(1, parallel))
        try:
            for _ in pool.map(lambda info: _download(client, info, root), wanted.values()):
                pass
        finally:  # a fault or Ctrl-C: the objects not yet started are not fetched
            pool.shutdown(wait=True, cancel_futures=True)
        fetched.paths = [_local(root, s) if is_uri(s) else Path(s) for s in sources]
    except BaseException:
        fetched.close()
        raise
    return fetched


def _local(root: Path, uri: str) -> Path:
    """Where a URI's copy lies: `root/<bucket>/<key parts>` (a folder for a prefix, a file for an object)."""
    bucket, key = _split(uri)
    return root.joinpath(bucket, *key.split("/")) if key else root / bucket


def _download(client: fs.FileSystem, info: fs.FileInfo, root: Path) -> None:
    """One object, whole and as stored (no decompression on the fly), in `objects.CHUNK`-sized sequential reads, to
    `root/<bucket>/<key>`. A read fault is the storage's (`_fault`), a write fault the local disk's."""
    uri, target = SCHEME + info.path, root.joinpath(*info.path.split("/"))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = target.open("wb")
    except OSError as exc:  # the disk, or an object and a "folder" of one name (`a` beside `a/b`)
        raise _local_fault(uri, root, exc) from None
    with dst:
        try:
            objects.save(client, info.path, dst)
        except objects.LocalWriteError as exc:
            raise _local_fault(uri, root, exc) from None
        except OSError as exc:
            raise _fault(uri, exc) from None


def _local_fault(uri: str, root: Path, exc: OSError) -> StorageError:
    return StorageError(f"{uri}: cannot be copied to {root.parent}: {exc.strerror or exc}", "disk", 1)


class RemoteNames:
    """A dataset writer that records a fetched copy's path as its `s3://` URI: in the source's counts (summary and
    ingest log), its quarantine lines and each row's `source`. Everything else is the writer's own."""

    def __init__(self, writer: Any, uri: Callable[[str], str]):
        self._writer, self._uri = writer, uri

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)

    def __enter__(self) -> RemoteNames:
        return self

    def __exit__(self, *exc: object) -> None:
        self._writer.close()

    def begin(self, source: Path, fmt: str) -> SourceStats:
        return self._writer.begin(source, fmt, name=self._uri(str(source)))

    def add(self, row: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        if isinstance(row.get("source"), str):
            row["source"] = self._uri(row["source"])
        self._writer.add(row, *args, **kwargs)

    def add_table(self, samples: pa.Table, *args: Any, **kwargs: Any) -> None:
        if "source" in samples.column_names:
            named = pa.array(_renamed(samples["source"].to_pylist(), self._uri), samples.schema.field("source").type)
            samples = samples.set_column(samples.schema.get_field_index("source"), "source", named)
        self._writer.add_table(samples, *args, **kwargs)


def _renamed(values: Iterable[str | None], uri: Callable[[str], str]) -> list[str | None]:
    cache: dict[str, str] = {}
    return [None if v is None else cache.setdefault(v, uri(v)) for v in values]
