"""SQLite's one writer at a time, queued instead of left to SQLite's busy handler.

Writers of one process queue on a thread lock; writers of several processes on one database (`serve
--workers`, `storeflight worker`, admin commands) then queue on an exclusive `flock` of a file beside the
database. Both wake a waiter as soon as the lock is free, where SQLite's busy handler sleeps in steps of up to
100 ms and lets a newcomer overtake a writer that has waited long (measured: bench/sqlite_writers_bench.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: writers of other processes wait in SQLite's busy handler there
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".write-lock"


class WriteLock:
    """Held around every write transaction on one SQLite database; `path` None: this process only."""

    def __init__(self, database: Path | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = database.with_name(database.name + SUFFIX) if database is not None and fcntl else None
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            fd = self._file()
            if fd is None:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits in the kernel, the GIL released
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int | None:
        # Opened on first use, and again in a forked child: a flock belongs to the open file, which a fork shares.
        if self._path is None:
            return None
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None
