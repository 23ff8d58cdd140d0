"""Watching a remote dataset's Delta logs for new versions between page loads (docs/ARCHITECTURE.md, "Delta tables").

A page load over a remote dataset would otherwise ask storage for each table's newest version first (one log
listing per table, ~50 ms against a local S3 API: bench/README.md): the whole gap between a page on S3 and on local
disk. Instead, while pages are being loaded, a background thread asks every `PROBE_EVERY` seconds whether the next
version of any table exists (one HEAD of `<table>/_delta_log/<version + 1>.json` each: Delta writes every commit as
that object, by a conditional put). A page load skips its own check when a probe that started within `FRESH`
seconds, after the store's last check and after this process's last write, found none — so a commit is seen by
every page load that starts more than `FRESH` seconds after it lands (the README's bound), a review saved here on
the very next one, and an idle replica (no page load for `IDLE` seconds) sends nothing.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref

import pyarrow.fs as pafs

from evalboard.core.location import DELTA_LOG, Location
from evalboard.data import delta_write

PROBE_EVERY = 1.0  # seconds between probes while pages are being loaded
FRESH = 3.0  # a page load trusts a probe that started at most this long ago (the bound a new version waits)
IDLE = 60.0  # no page load for this long: probing stops until the next one
_LOG = logging.getLogger(__name__)


class VersionWatch:
    """The probes of one remote dataset's tables; `fresh()` says whether a page load may skip its check."""

    def __init__(self, location: Location, tables: tuple[str, ...]) -> None:
        self.location, self.tables = location, tables
        self._lock = threading.Lock()
        self._known: dict[str, int] = {}  # the versions the store read (an absent table: none)
        self._known_at = float("inf")  # when the store's check that read them started (monotonic)
        self._clean_since: float | None = None  # start of the newest probe that found no next version
        self._active_until = 0.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()  # set by `stop`
        _WATCHES.add(self)

    def known(self, versions: dict[str, int], checked_at: float) -> None:
        """The store checked storage at `checked_at` (monotonic) and read these versions."""
        with self._lock:
            self._known, self._known_at = dict(versions), checked_at

    def touch(self, now: float) -> None:
        """A page load at `now`: keep probing for another `IDLE` seconds (start or wake the thread)."""
        with self._lock:
            self._active_until = now + IDLE
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="evalboard-version-watch", daemon=True)
                self._thread.start()
        self._wake.set()

    def fresh(self, now: float) -> bool:
        """Whether a probe that started within `FRESH` seconds of `now`, after the store's check and this process's
        last write, found no next version of any table."""
        with self._lock:
            clean = self._clean_since
            if clean is None:
                return False
            return clean >= self._known_at and now - clean <= FRESH and clean > delta_write.last_write()

    def _run(self) -> None:
        fs: pafs.FileSystem | None = None
        while not self._halt.is_set():
            if time.monotonic() > self._active_until:
                self._wake.clear()
                self._wake.wait()
                continue
            started = time.monotonic()
            with self._lock:
                known, known_at = dict(self._known), self._known_at
            clean = False
            if known_at != float("inf"):
                try:
                    fs = fs or pafs.FileSystem.from_uri(self.location.uri)[0]
                    clean = not self._next_exists(fs, known)
                except Exception as exc:  # unreachable, refused: page loads check (and say so) themselves
                    _LOG.debug("version probe of %s failed: %s", self.location, exc)
                    fs = None
            with self._lock:
                if known_at == self._known_at:  # the store did not check again meanwhile
                    self._clean_since = started if clean else None
            self._halt.wait(max(0.0, PROBE_EVERY - (time.monotonic() - started)))

    def stop(self, timeout: float = 5.0) -> None:
        """End the probes (and wait for one under way)."""
        self._halt.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _next_exists(self, fs: pafs.FileSystem, known: dict[str, int]) -> bool:
        base = self.location.uri.removeprefix("s3://")
        paths = [f"{base}/{t}/{DELTA_LOG}/{known.get(t, -1) + 1:020d}.json" for t in self.tables]
        return any(info.type != pafs.FileType.NotFound for info in fs.get_file_info(paths))


_WATCHES: weakref.WeakSet[VersionWatch] = weakref.WeakSet()


@atexit.register  # registered after pyarrow's S3 finalizer, so run before it: no probe is under way when it runs
def _stop_all() -> None:
    for watch in list(_WATCHES):
        watch.stop()
