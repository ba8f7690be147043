"""Consistent backups of the embedded deployment (SQLite database and local blobs) while the server runs."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

# Folders of the local blob store that hold no committed data: files being written, staged blocks, trash.
_SKIP = frozenset({".tmp", ".blocks", ".trash"})
_PAGES_PER_STEP = 1024  # SQLite's online backup copies this many pages, then lets writers in again


@dataclass(frozen=True)
class BackupReport:
    database: Path
    database_bytes: int
    blobs: int
    blob_bytes: int


class BackupError(Exception):
    """The backup cannot be made (a target that is not empty, a database that is not there)."""


def backup(data_dir: Path, target: Path) -> BackupReport:
    """Copy `data_dir`'s SQLite database and committed blobs to the empty folder `target`.

    The database is copied first, with SQLite's online backup (a consistent snapshot while the server keeps
    writing), and the blobs after it: every blob the copied database names was committed before the
    snapshot, so it is in the copy; blobs committed later are merely extra. A blob the snapshot names that became
    unneeded since is still there: pipeline workers delete unneeded blobs only after a grace period (10 minutes).
    """
    source = data_dir / "storeflight.db"
    if not source.is_file():
        raise BackupError(f"there is no storeflight database in {data_dir}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not empty (or not a folder); back up into a new folder")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    copied = target / "storeflight.db"
    _copy_database(source, copied)
    count, size = _copy_blobs(data_dir / "blobs", target / "blobs")
    return BackupReport(copied, copied.stat().st_size, count, size)


def _copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=_PAGES_PER_STEP)
    target.chmod(0o600)


def _copy_blobs(root: Path, target: Path) -> tuple[int, int]:
    """Committed blobs and their side files; the folders of work in progress are left out."""
    if not root.is_dir():
        return 0, 0
    count = size = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in _SKIP or not path.is_file():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            shutil.copy2(path, destination)
        except FileNotFoundError:  # deleted since it was listed (garbage collection): not needed
            continue
        if relative.parts[0] != ".meta":
            count, size = count + 1, size + destination.stat().st_size
    return count, size
