"""Restore a backup made by `storeflight admin backup` into a new data folder, after checking it."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storeflight.backup import BackupError
from storeflight.private import private_dir, private_sqlite
from storeflight.storage.migrate import HEAD_REVISION, MIGRATIONS

DATABASE = "storeflight.db"


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    revision: str
    blobs: int
    blob_bytes: int


def restore(source: Path, data_dir: Path) -> RestoreReport:
    """Copy the backup in `source` into the empty (or new) folder `data_dir`: database, then blobs.

    Refused (BackupError, nothing written) when the target holds anything, when the backup's database fails
    SQLite's integrity check, or when it was made by a newer storeflight (a schema revision this version
    does not know). Folders get mode 0700 and files 0600, as the server makes them.
    """
    database = source / DATABASE
    if not database.is_file():
        raise BackupError(f"there is no {DATABASE} in {source}: not a storeflight backup")
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"{data_dir} is not empty (or not a folder); restore into a new folder")
    revision = check_database(database)
    private_dir(data_dir)
    target = data_dir / DATABASE
    _copy_database(database, target)
    count, size = _copy_blobs(source / "blobs", data_dir / "blobs")
    return RestoreReport(target, revision, count, size)


def check_database(database: Path) -> str:
    """The backup's schema revision, once SQLite finds the file intact and this version knows the revision."""
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise BackupError(f"the backup's database is damaged: {'; '.join(problems)}")
            found = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:  # not a database at all, or no alembic_version table
        raise BackupError(f"the backup's database cannot be read as a storeflight database: {error}") from None
    if found is None:
        raise BackupError("the backup's database has no schema revision: not a storeflight database")
    revision = str(found[0])
    if revision not in known_revisions():
        raise BackupError(
            f"the backup is at schema revision {revision}, which this storeflight (newest {HEAD_REVISION}) does "
            "not know: restore it with the version that made it, or a newer one"
        )
    return revision


def known_revisions() -> set[str]:
    return {path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py")}


def _copy_database(source: Path, target: Path) -> None:
    """With SQLite's backup API, so the copy is one consistent file (no -wal beside it), mode 0600."""
    private_sqlite(target)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    target.chmod(0o600)


def _copy_blobs(root: Path, target: Path) -> tuple[int, int]:
    """Every file of the backup's blobs folder (committed blobs and their side files), folders 0700."""
    private_dir(target)
    if not root.is_dir():
        return 0, 0
    count = size = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        destination = target / relative
        if path.is_dir():
            private_dir(destination)
            continue
        if not path.is_file():
            continue  # no links or devices in a backup
        private_dir(destination.parent)
        shutil.copyfile(path, destination)
        destination.chmod(0o600)
        if relative.parts[0] != ".meta":
            count, size = count + 1, size + destination.stat().st_size
    return count, size
