"""Temporary folders that a killed process leaves behind only until the next start: each is locked while in use.

A folder made here holds a lock file, `flock`ed for as long as the folder is in use. `sweep` removes the
folders under a root whose lock nobody holds (their process died), and never one a live process still
holds; a folder without a lock file (made by an older version, or being made this instant) is removed only
once it is older than a grace period.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: folders are not locked, and sweeps only go by age
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("storeflight.scratch")

LOCK_NAME = ".storeflight-lock"
STAGE_PREFIXES = ("storeflight-pkg-", "storeflight-blob-")  # what pipeline stages put in the temporary folder
GRACE_SECONDS = 600.0
FRESH_SECONDS = 2.0  # a lock file this new may not be locked yet: its folder is left alone


class LockedFolder:
    """A new folder under `parent`, locked until `close()` (then removed with everything in it)."""

    def __init__(self, parent: Path | None, prefix: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        self._lock: IO[bytes] | None = (self.path / LOCK_NAME).open("wb")
        if fcntl is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def close(self) -> None:
        if self._lock is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        self._lock.close()  # closing the file releases the lock
        self._lock = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


@contextlib.contextmanager
def temporary_folder(prefix: str) -> Iterator[Path]:
    """A locked folder in the temporary folder for the duration of the block, removed afterwards."""
    folder = LockedFolder(None, prefix)
    try:
        yield folder.path
    finally:
        folder.close()


def sweep(root: Path, prefixes: Sequence[str] = ("",), grace: float = GRACE_SECONDS) -> int:
    """Remove the folders in `root` named with one of `prefixes` that no live process holds; how many."""
    removed = 0
    try:
        candidates = [p for p in root.iterdir() if p.name.startswith(tuple(prefixes)) and p.is_dir()]
    except FileNotFoundError:
        return 0
    for folder in candidates:
        if _remove_if_abandoned(folder, grace):
            removed += 1
    if removed:
        log.info("removed %d temporary folders left in %s by stopped processes", removed, root)
    return removed


def sweep_stage_folders() -> int:
    """Remove what killed pipeline stages left in the temporary folder (run at server and worker start)."""
    return sweep(Path(tempfile.gettempdir()), STAGE_PREFIXES)


def partial_files(root: Path) -> list[Path]:
    """The files under `root` other than lock files: what writers left there."""
    return sorted(path for path in root.rglob("*") if path.is_file() and path.name != LOCK_NAME)


def _remove_if_abandoned(folder: Path, grace: float) -> bool:
    try:
        handle = (folder / LOCK_NAME).open("rb")
    except FileNotFoundError:
        return _remove_if_old(folder, grace)
    except OSError:
        return False
    with handle:
        if fcntl is None:
            return _remove_if_old(folder, grace)
        if time.time() - os.fstat(handle.fileno()).st_mtime < FRESH_SECONDS:
            return False  # its process may be between making the folder and locking it
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live process holds it
        shutil.rmtree(folder, ignore_errors=True)  # while holding the lock: nobody can take it meanwhile
    return True


def _remove_if_old(folder: Path, grace: float) -> bool:
    try:
        age = time.time() - os.stat(folder).st_mtime
    except FileNotFoundError:
        return False
    if age <= grace:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True
