"""Files that hold secrets (the SQLite database with the signing keys, uploaded packages) kept owner-only."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("storeflight")

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_dir(folder: Path) -> Path:
    """Create `folder` (and missing parents) as 0700; an existing one loses any group and other access."""
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(folder, DIR_MODE)
    return folder


def private_sqlite(database: Path) -> None:
    """Create the database file as 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
    database's mode), and take group and other access away from the files of an existing one."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for suffix in SQLITE_SUFFIXES:
        path = database.with_name(database.name + suffix)
        if path.exists():
            _tighten(path, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077:
        path.chmod(current & mode)
        log.info("made %s private (mode %o, was %o)", path, current & mode, current)
