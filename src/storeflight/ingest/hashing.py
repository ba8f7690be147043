"""SHA-256 of byte ranges of a file, computed on a worker thread while validation runs on the caller's.

hashlib releases the GIL on large buffers, so the file digest costs little wall time next to the block
checks. Leaving the context early (a defect was found) stops the pending work at the next chunk.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

CHUNK = 1 << 20


class Digests:
    """Hex SHA-256 digests of ranges of the file at `path`, in submission order, one worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storeflight-digest")

    def __enter__(self) -> Digests:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is not None:
            self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)

    def submit(self, start: int, length: int) -> Future[str]:
        """Start hashing `length` bytes at `start`; the future holds the hex digest."""
        return self._pool.submit(self._digest, start, length)

    def _digest(self, start: int, length: int) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb", buffering=0) as fh:
            fh.seek(start)
            remaining = length
            buffer = memoryview(bytearray(CHUNK))
            while remaining and not self._stop.is_set():
                count = fh.readinto(buffer[: min(CHUNK, remaining)])
                if not count:
                    raise OSError(f"{self.path} ended {remaining} bytes before the range being hashed")
                digest.update(buffer[:count])
                remaining -= count
        return digest.hexdigest()
