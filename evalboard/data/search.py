"""Full-text search over transcripts and grader explanations through an index beside the dataset.

What a search finds (the same as the scan in queries/samples_matching.sql, which answers when the index
cannot): every sample whose grader explanation (the primary verdict's or a further verdict source's), human
review note, or transcript's message text, tool-call arguments or reasoning, contains the search text as a
**case-insensitive substring** — the exact characters typed, punctuation and spaces included (`kyle's affair`
finds "Kyle's affair", not "Kyle's new affair"); no wildcards, no word stemming. Text shorter than 3 characters
is answered by the scan. A search stops collecting after `MAX_HITS` matching texts; the list then shows the
matches among those and says so (`Hits.complete`), so a search matching most of the data costs what one
matching `MAX_HITS` texts does.

The index is SQLite FTS5 (Python's standard library) with the trigram tokenizer, `detail=none` (half the size of
a positional index): the search text's rarer trigrams (`_choose`), all required, narrow the texts to candidates,
and each candidate is then checked for the whole text, lower-cased (Python's `str.lower`, like DuckDB's `lower` in the
scan), so the semantics are exactly the substring's. It lives in `DATA/.index/search.sqlite` and is keyed by file:
each transcripts, samples, verdicts and reviews Parquet file the store uses is indexed once per (path, mtime,
size); a new or changed file is added, a vanished one removed, the rest kept (rows of one file are one rowid
range). Small updates happen in the request; large ones in a background process (`python -m evalboard.data.search
DATA`, which can also be run ahead, e.g. after an import), so the server's own threads keep answering pages;
until the index covers every file a search is answered by the scan. A folder that cannot be written, or an index
that cannot be read, never breaks search: a corrupt index file is deleted and rebuilt, an unwritable folder leaves
the scan in charge.

A remote dataset (`s3://bucket/prefix`, Delta tables) is indexed the same way, on this replica's own disk
(`Store.index_root`, its cache: derived data, never shared between replicas). A Delta data file never changes once
written (a new version adds files, a compaction removes some), so each is keyed by its URI, size and the log's
modification time: a new version indexes only its new files, and a second store over the same URI reuses the index.
DuckDB cannot open `s3://` here, so each file to index is fetched whole to a temporary file beside the index
(pyarrow's S3 filesystem, the standard AWS environment), indexed with the same query and deleted. When storage fails
the index keeps what it holds and searches scan (`problem` says why, in one line).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from evalboard.core import paths
from evalboard.core.location import StorageError, storage_error
from evalboard.data import objects
from evalboard.data.store import QueryError, Store

INDEX_DIR = ".index"
INDEX_FILE = "search.sqlite"
SCHEMA_VERSION = "3"
MIN_CHARS = 3  # trigram index: shorter text cannot be looked up
LOOKUP_TRIGRAMS = 8  # at most this many trigrams of the search text are looked up (the rarest, see `_choose`)
PROBE_TRIGRAMS = 16  # trigrams of a long search text whose frequency is estimated (spread along it)
PROBE_WINDOWS, PROBE_ROWS = 4, 5_000  # the estimate counts a trigram's documents in these rowid windows
COMMON = 0.25  # a trigram in more of the sampled documents than this is looked up only if no rarer one exists
INLINE_BYTES = 2**20  # Parquet bytes still to index that a request indexes itself; more goes to a thread
PASSAGE_BEFORE, PASSAGE_AFTER = 80, 80  # characters around the first hit (as samples_matching.sql)
_HITS_CACHE = 4  # searches whose ids are kept (a page change reuses them); each holds at most MAX_HITS
# table → query giving (sample_id, body) for one file, and the column the file needs to have
SOURCES = {
    "transcripts": ("search_texts", "messages"),
    "samples": ("search_explanations", "explanation"),
    "verdicts": ("search_explanations", "explanation"),  # further verdict sources' grader explanations
    "reviews": ("search_notes", "note"),  # human reviewers' notes
}
# A search stops collecting after this many matching texts: the list then shows the matches among them, and says
# so (a search matching most of the data would otherwise pass every id through Python into DuckDB).
MAX_HITS = 100_000
FETCHED = ".fetch-"  # a remote data file being indexed: `.fetch-<pid>-<thread>.parquet` beside the index, then deleted


@dataclass(frozen=True)
class Hits:
    """The samples a search found: their ids (each once) and the matching texts (doc rowid, sample_id)."""

    version: int  # the indexed files it was found in
    ids: pa.Table  # one column, sample_id
    texts: pa.Table  # rowid, sample_id: one row per matching text, in rowid order
    complete: bool = True  # False: more than MAX_HITS texts match; these are the first MAX_HITS


class SearchIndex:
    """The search index of one store's dataset folder."""

    def __init__(self, store: Store, path: Path | None = None) -> None:
        self.store = store
        self.path = path or store.index_root / INDEX_DIR / INDEX_FILE
        self._lock = threading.Lock()  # one writer at a time
        self._builder: subprocess.Popen | None = None
        self._version = 0  # identifies the indexed files (set by `ensure`); keys cached hits
        self._hits: OrderedDict[tuple[int, str], Hits] = OrderedDict()
        self.problem: str | None = None  # why the index is not used (shown nowhere; for tests and benches)

    # -- files --------------------------------------------------------------------------------
    def _wanted(self) -> dict[str, tuple[str, int, int]]:
        """path → (table, mtime_ns, size) of every file that should be indexed."""
        if self.store.remote:  # each Delta data file by its URI: the same for every store over the dataset
            files = ((table, self._uri(p), m, size) for table in SOURCES for p, m, size in self.store.good_files(table))
            return {p: (table, m, size) for table, p, m, size in files}
        # Absolute paths: processes that open the folder by different paths share one index.
        files = ((table, p.resolve(), m, size) for table in SOURCES for p, m, size in self.store.good_files(table))
        return {str(p): (table, m, size) for table, p, m, size in files}

    def _uri(self, path: Path) -> str:
        """The URI of a remote data file the store names under its dataset (the log's paths are percent-encoded)."""
        return f"{self.store.dataset}/{unquote(path.relative_to(self.store.root).as_posix())}"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        con.create_function("contains_folded", 2, _contains_folded, deterministic=True)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS files(
                    path TEXT PRIMARY KEY, source TEXT, mtime_ns INTEGER, size INTEGER, first_row INTEGER,
                    last_row INTEGER);
                CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
                    body, sample_id UNINDEXED, tokenize = 'trigram case_sensitive 0', detail = none);
                """
            )
            version = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if version is None:
                con.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))
            elif version[0] != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"index version {version[0]}, expected {SCHEMA_VERSION}")
            con.execute("SELECT count(*) FROM files").fetchone()
        except BaseException:
            con.close()
            raise
        return con

    def _open(self) -> sqlite3.Connection | None:
        """A connection to a readable index (a corrupt or foreign one is deleted and started afresh)."""
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:  # not a database, damaged, another version
            self.problem = f"index unreadable ({exc}); rebuilding"
            try:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
                return self._connect()
            except (OSError, sqlite3.Error) as again:
                self.problem = f"index cannot be rebuilt: {again}"
                return None
        except (OSError, sqlite3.Error) as exc:  # read-only folder, disk full, …
            self.problem = f"index cannot be written: {exc}"
            return None

    def _stale(self, con: sqlite3.Connection) -> tuple[list[tuple[str, str, int, int]], list[str]]:
        """Files to add (path, table, mtime, size) and indexed paths to drop."""
        wanted = self._wanted()
        have = {p: (t, m, s) for p, t, m, s in con.execute("SELECT path, source, mtime_ns, size FROM files")}
        add = [(p, *w) for p, w in wanted.items() if have.get(p) != w]
        drop = [p for p, h in have.items() if wanted.get(p) != h]
        return add, drop

    def update(self) -> bool:
        """Bring the index up to date with the store's files now; True when it is current.

        Each file is added or dropped in its own write transaction that first re-checks the file, so two
        servers (or sessions) updating one index never index a file twice.
        """
        with self._lock:
            con = self._open()
            if con is None:
                return False
            try:
                add, drop = self._stale(con)
                if self.store.remote and self.store.storage_error is not None and (add or drop):
                    # The store's files are those it read before storage failed (none after a restart): keep the index.
                    self.problem = f"index kept as it was: {self.store.storage_error}"
                    return False
                if self.store.remote:
                    _clear_fetched(self.path.parent)
                for path in drop:
                    con.execute("BEGIN IMMEDIATE")
                    rows = con.execute("SELECT first_row, last_row FROM files WHERE path = ?", (path,)).fetchone()
                    if rows is not None:
                        con.execute("DELETE FROM docs WHERE rowid BETWEEN ? AND ?", rows)
                        con.execute("DELETE FROM files WHERE path = ?", (path,))
                    con.execute("COMMIT")
                for path, table, mtime, size in add:
                    self._add_file(con, path, table, mtime, size)
                if len(add) + len(drop) > 4:  # many new segments or deletions: merge them so lookups stay fast
                    con.execute("INSERT INTO docs(docs) VALUES ('optimize')")
                self.problem = None
                return True
            except (OSError, sqlite3.Error, QueryError, StorageError) as exc:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                self.problem = f"index update failed: {exc}"
                return False
            finally:
                con.close()

    def _add_file(self, con: sqlite3.Connection, path: str, table: str, mtime: int, size: int) -> None:
        if not self.store.remote:
            self._index_file(con, path, table, mtime, size, path)
            return
        have = con.execute("SELECT source, mtime_ns, size FROM files WHERE path = ?", (path,)).fetchone()
        if have is not None and tuple(have) == (table, mtime, size):  # another writer was faster: no fetch
            return
        with self._fetched(path) as local:
            try:
                self._index_file(con, path, table, mtime, size, str(local))
            except pa.ArrowException as exc:  # not a Parquet file (a damaged object): the scan says what fails
                raise QueryError(f"{path}: {exc}") from None

    @contextlib.contextmanager
    def _fetched(self, uri: str) -> Iterator[Path]:
        """A remote data file fetched whole to a temporary file beside the index, deleted afterwards. Raises
        StorageError (one line, no credential) when storage fails."""
        local = self.path.parent / f"{FETCHED}{os.getpid()}-{threading.get_ident()}.parquet"
        try:
            with open(local, "wb") as out:  # a local failure (disk full) is the index's own, not storage's
                _fetch(uri, out)
            yield local
        finally:
            local.unlink(missing_ok=True)

    def _index_file(self, con: sqlite3.Connection, path: str, table: str, mtime: int, size: int, read: str) -> None:
        """Index one file as `path` (its key), reading it from `read` (the file itself, or a local copy of it)."""
        query, column = SOURCES[table]
        con.execute("BEGIN IMMEDIATE")  # a crash or a failure loses at most this file
        have = con.execute("SELECT source, mtime_ns, size, first_row, last_row FROM files WHERE path = ?", (path,))
        have = have.fetchone()
        if have is not None and tuple(have[:3]) == (table, mtime, size):  # another writer was faster
            con.execute("COMMIT")
            return
        if have is not None:
            con.execute("DELETE FROM docs WHERE rowid BETWEEN ? AND ?", have[3:])
            con.execute("DELETE FROM files WHERE path = ?", (path,))
        first = (con.execute("SELECT max(rowid) FROM docs").fetchone()[0] or 0) + 1
        row = first
        if column in pq.read_schema(read).names:
            for batch in self.store.batches(query, {"path": read}):
                ids = batch.column("sample_id").to_pylist()
                bodies = batch.column("body").to_pylist()
                con.executemany(
                    "INSERT INTO docs(rowid, body, sample_id) VALUES (?, ?, ?)",
                    zip(range(row, row + len(ids)), bodies, ids, strict=True),
                )
                row += len(ids)
        con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)", (path, table, mtime, size, first, row - 1))
        con.execute("COMMIT")

    def ensure(self, background: bool = True) -> bool:
        """True when the index covers every file now. Small gaps are filled in this call; a large one starts
        a background update (searches use the scan until it is done), unless `background` is False."""
        con = self._open()
        if con is None:
            return False
        try:
            add, drop = self._stale(con)
        except sqlite3.Error as exc:
            self.problem = f"index unreadable: {exc}"
            return False
        finally:
            con.close()
        if not add and not drop:
            self._version = hash(frozenset(self._wanted().items()))
            return True
        if sum(size for *_, size in add) <= INLINE_BYTES:
            if self.update():
                self._version = hash(frozenset(self._wanted().items()))
                return True
            return False
        if background and (self._builder is None or self._builder.poll() is not None):
            self._builder = _spawn_builder(self.store.dataset)
        return False

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background update (tests, benches)."""
        if self._builder is not None:
            self._builder.wait(timeout)

    # -- search -------------------------------------------------------------------------------
    def search(self, text: str) -> Hits | None:
        """The samples whose texts contain `text`, or None when the index cannot answer (use the scan)."""
        if len(text) < MIN_CHARS or not self.ensure():
            return None
        key = (self._version, text)
        if key in self._hits:
            self._hits.move_to_end(key)
            return self._hits[key]
        con = self._open()
        if con is None:
            return None
        trigrams = list(dict.fromkeys(text[i : i + 3].lower() for i in range(len(text) - 2)))
        # ASCII text: SQLite's lower() (ASCII only) agrees with str.lower() on every match, and runs in C.
        sql = _MATCH_ASCII if text.isascii() else _MATCH_FOLDED
        try:
            wanted = " AND ".join(_quoted(t) for t in _choose(con, trigrams))
            rows = con.execute(sql, (wanted, text.lower(), MAX_HITS + 1)).fetchall()
        except sqlite3.Error as exc:
            self.problem = f"index search failed: {exc}"
            return None
        finally:
            con.close()
        complete = len(rows) <= MAX_HITS
        del rows[MAX_HITS:]
        # Columns built by list comprehension and Arrow, not a dict of lists: 100,000 texts ~15 ms against ~75 ms.
        texts = pa.table(
            {
                "rowid": pa.array([r[0] for r in rows], pa.int64()),
                "sample_id": pa.array([r[1] for r in rows], pa.string()),
            }
        )
        ids = pa.table({"sample_id": pc.unique(texts.column("sample_id"))})
        hits = Hits(self._version, ids, texts, complete)
        self._hits[key] = hits  # at most MAX_HITS texts each: memory stays flat
        while len(self._hits) > _HITS_CACHE:
            self._hits.popitem(last=False)
        return hits

    def passages(self, text: str, hits: Hits, sample_ids: list[str]) -> list[str]:
        """The text around the first hit of each sample (explanations and notes before the transcript, as the scan
        reads them)."""
        page = hits.texts.filter(pc.is_in(hits.texts.column("sample_id"), pa.array(sample_ids, pa.string())))
        wanted = dict(zip(page.column("rowid").to_pylist(), page.column("sample_id").to_pylist(), strict=True))
        bodies: dict[str, list[tuple[int, int, str]]] = {}
        con = self._open() if wanted else None
        if con is not None:
            try:
                explanations = con.execute(
                    "SELECT first_row, last_row FROM files WHERE source <> 'transcripts'"
                ).fetchall()
                ids = json.dumps(list(wanted))  # one bound value: the SQL text never changes with the ids
                for rowid, body in con.execute(
                    "SELECT rowid, body FROM docs WHERE rowid IN (SELECT value FROM json_each(?))", (ids,)
                ):
                    first = 0 if any(lo <= rowid <= hi for lo, hi in explanations) else 1
                    bodies.setdefault(wanted[rowid], []).append((first, rowid, body or ""))
            except sqlite3.Error:
                pass
            finally:
                con.close()
        return [_passage(text, [body for *_, body in sorted(bodies.get(sid, []))]) for sid in sample_ids]


def _quoted(trigram: str) -> str:
    return '"' + trigram.replace('"', '""') + '"'


def _spread(items: list[str], count: int) -> list[str]:
    """At most `count` of `items`, spread from the first to the last."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return list(dict.fromkeys(items[round(i * step)] for i in range(count)))


def _choose(con: sqlite3.Connection, trigrams: list[str]) -> list[str]:
    """The trigrams to look up: the rarest of the text's (at most `LOOKUP_TRIGRAMS`), leaving out common ones.

    Every candidate is checked for the whole text afterwards, so any subset of the text's trigrams finds the same
    matches; the choice only decides the cost. A trigram in nearly every document (`sam` of "sample 777777" in a
    dataset where every transcript says "sample …") costs a read of its whole document list and narrows nothing
    (at 10M transcripts: 0.7 s against 23 ms for the same candidates), so each trigram's frequency is estimated
    first, by counting its documents in a few rowid windows (~0.1-2 ms each).
    """
    if len(trigrams) <= 1:
        return trigrams
    last = con.execute("SELECT max(last_row) FROM files").fetchone()[0] or 0
    width = min(PROBE_ROWS, max(1, last // PROBE_WINDOWS))
    windows = [(lo, lo + width - 1) for lo in (1 + k * last // PROBE_WINDOWS for k in range(PROBE_WINDOWS))]
    sampled = sum(hi - lo + 1 for lo, hi in windows)
    counts = {}
    for trigram in _spread(trigrams, PROBE_TRIGRAMS):
        counts[trigram] = sum(con.execute(_PROBE, (_quoted(trigram), lo, hi)).fetchone()[0] for lo, hi in windows)
    rarest = sorted(counts, key=counts.__getitem__)  # stable: ties keep the text's order
    chosen = [t for t in rarest if counts[t] <= COMMON * sampled][:LOOKUP_TRIGRAMS]
    return chosen or rarest[:1]


def _contains_folded(body: str | None, needle: str) -> bool:
    return body is not None and needle in body.lower()


def _passage(text: str, bodies: list[str]) -> str:
    needle = text.lower()
    for body in bodies:
        at = body.lower().find(needle)
        if at >= 0:
            start = max(0, at - PASSAGE_BEFORE)
            return body[start : start + len(text) + PASSAGE_BEFORE + PASSAGE_AFTER]
    return ""


_INDEXES: dict[int, SearchIndex] = {}
_INDEXES_LOCK = threading.Lock()


# The trigram MATCH narrows to candidates (in rowid order); the second condition checks the whole text; at most the
# bound plus one row is read (all values bound). Each candidate's text is read from FTS5's own content table
# (`docs_content`: id = rowid, c0 = body, c1 = sample_id) by a join, not through the virtual table's columns:
# 100,000 candidates at 10M documents 0.51 → 0.32 s (bench/README.md, "Bounded searches at 10M").
_MATCH = (
    "SELECT c.id, c.c1 FROM (SELECT rowid AS r FROM docs WHERE docs MATCH ?1) AS m JOIN docs_content AS c ON c.id = m.r"
    " WHERE {check} ORDER BY m.r LIMIT ?3"
)
_MATCH_ASCII = _MATCH.format(check="instr(lower(c.c0), ?2) > 0")
_MATCH_FOLDED = _MATCH.format(check="contains_folded(c.c0, ?2)")
_PROBE = "SELECT count(*) FROM docs WHERE docs MATCH ? AND rowid BETWEEN ? AND ?"


def index_for(store: Store) -> SearchIndex:
    """The one search index of a store (stores are shared by every session)."""
    with _INDEXES_LOCK:
        if id(store) not in _INDEXES or _INDEXES[id(store)].store is not store:
            _INDEXES[id(store)] = SearchIndex(store)
        return _INDEXES[id(store)]


def _fetch(uri: str, out: BinaryIO) -> None:
    """A remote object whole into `out`, read through pyarrow's filesystem for its URI (the standard AWS environment).
    Raises StorageError, or LocalWriteError (an OSError) when `out` cannot be written."""
    try:
        fs, key = pafs.FileSystem.from_uri(uri)
        objects.save(fs, key, out)
    except objects.LocalWriteError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise storage_error(exc, uri) from None


def _clear_fetched(folder: Path) -> None:
    """Delete the temporary copies a killed process left beside the index (their process is gone)."""
    for stray in folder.glob(f"{FETCHED}*"):
        pid = stray.name[len(FETCHED) :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            stray.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _spawn_builder(root: str) -> subprocess.Popen:
    """`python -m evalboard.data.search root` in the background, importing this same package (`root`: the folder, or
    a remote dataset's URI; the AWS environment and the cache folder are inherited)."""
    package_parent = str(paths.PACKAGE_DIR.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "evalboard.data.search", root],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not killed by a Ctrl-C meant for the server; it finishes its file and stops
    )


def prepare(root: Path | str) -> None:
    """Bring what the pages derive from a dataset folder up to date, e.g. right after `evalboard ingest`, so the
    first page view after an import does not pay for it: the per-file rollups and the repeated-id check
    (`Store.refresh`, saved in DATA/.index/rollups/), and this index when the new text is as small as a request
    would index itself (`INLINE_BYTES`). A larger gap is left to the background update the first search starts
    (or to `python -m evalboard.data.search DATA`), so an import never waits minutes for it."""
    store = Store(root)
    store.refresh()
    SearchIndex(store).ensure(background=False)


def main(argv: list[str] | None = None) -> int:
    """Build or bring up to date the search index of a dataset: `python -m evalboard.data.search DATA` (a folder,
    or `s3://bucket/prefix`: the index of this machine's replica, in its cache)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m evalboard.data.search DATASET (a folder or s3://bucket/prefix)", file=sys.stderr)
        return 2
    store = Store(args[0])
    if store.remote:  # the files to index and each file's query read the versions checked now, not one check each
        store.refresh(new_run=True)
    index = SearchIndex(store)
    if index.update():
        return 0
    print(f"search index not updated: {index.problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
