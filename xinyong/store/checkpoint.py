"""SQLite WAL checkpoints off the commit path.

In WAL mode SQLite copies the log back into the database (a checkpoint, with an fsync) from inside
the commit that takes the log past 1,000 pages: that commit, and every request waiting on it, takes
tens of milliseconds more (the screening tail, bench/screen.py). Here connections run with
``wal_autocheckpoint=0`` and one thread per process checkpoints each open database file instead,
PASSIVE (never waiting for, nor blocking, readers and writers), whenever its log has grown past
:data:`WAL_BYTES` — polled every :data:`POLL_S` — and at least every :data:`MAX_INTERVAL_S` while it
holds anything new. A process's last connection to a file still checkpoints it when it closes (SQLite).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import deque

WAL_BYTES = 4 * 1024 * 1024  # ~1,000 pages of 4 KiB: SQLite's own auto-checkpoint threshold
POLL_S = 0.1
MAX_INTERVAL_S = 5.0


class Checkpointer:
    """Checkpoints the registered database files from one daemon thread."""

    def __init__(self) -> None:
        self._files: dict[str, int] = {}  # path → number of engines using it
        self._connections: dict[str, sqlite3.Connection] = {}
        # per file: the log's (modification time, size) and the time at the last checkpoint
        self._last: dict[str, tuple[int, int, float]] = {}
        self._lock = threading.Lock()  # the registry, and every use of a connection (never concurrent)
        self._thread: threading.Thread | None = None
        self._released: deque[str] = deque()  # unregistered later by the thread (from finalizers)

    def register(self, path: str) -> None:
        with self._lock:
            self._files[path] = self._files.get(path, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="xinyong-wal-checkpoint", daemon=True)
                self._thread.start()

    def unregister(self, path: str) -> None:
        with self._lock:
            left = self._files.get(path, 0) - 1
            if left > 0:
                self._files[path] = left
                return
            self._files.pop(path, None)
            self._last.pop(path, None)
            connection = self._connections.pop(path, None)
            if connection is not None:
                connection.close()  # under the lock: closing a connection in use crashes SQLite

    def unregister_later(self, path: str) -> None:
        """:meth:`unregister` from the checkpointer's own thread: for garbage-collection finalizers,
        which may run in any thread at any point, even one holding the registry's lock."""
        self._released.append(path)

    def registered(self) -> list[str]:
        with self._lock:
            return list(self._files)

    def _run(self) -> None:
        while True:
            time.sleep(POLL_S)
            while self._released:
                self.unregister(self._released.popleft())
            for path in self.registered():
                self.maybe_checkpoint(path)

    def maybe_checkpoint(self, path: str, now: float | None = None) -> bool:
        """Checkpoint ``path`` if its log was written since the last checkpoint and has grown past
        :data:`WAL_BYTES` (and past its size then), or :data:`MAX_INTERVAL_S` have passed; True if
        it ran. A checkpointed log is reused from its start without shrinking, so its size alone
        would call for a checkpoint at every poll."""
        now = time.monotonic() if now is None else now
        try:
            stat = os.stat(path + "-wal")
        except OSError:
            return False  # no log (yet, or any more)
        written, size = stat.st_mtime_ns, stat.st_size
        last_written, last_size, last_time = self._last.setdefault(path, (0, 0, now))
        grown = size >= WAL_BYTES and size > last_size
        if size == 0 or written == last_written or not (grown or now - last_time >= MAX_INTERVAL_S):
            return False
        self._last[path] = (written, size, now)
        return self.checkpoint(path)

    def checkpoint(self, path: str) -> bool:
        with self._lock:
            if path not in self._files:
                return False
            connection = self._connections.get(path)
            if connection is None:
                connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
                self._connections[path] = connection
            with contextlib.suppress(sqlite3.OperationalError):  # busy: another process checkpoints
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                return True
            return False


CHECKPOINTER = Checkpointer()
