"""Secrets at rest: the data folder, the database files and the blob folders are the owner's alone."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from storeflight.blobs.local import LocalBlobStore
from storeflight.private import private_dir, private_sqlite
from tests.support import ServeProcess


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_serve_creates_a_private_data_folder_database_and_blob_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ServeProcess(data) as serve:
        tenant, client_id, secret = serve.tenant_client()
        assert httpx.get(f"{serve.url}/healthz").status_code == 200
        serve.token(tenant, client_id, secret)  # a write: the -wal file exists now
        database_files = [data / name for name in ("storeflight.db", "storeflight.db-wal", "storeflight.db-shm")]
        assert all(path.exists() for path in database_files)
        assert {_mode(path) for path in database_files} == {0o600}
    assert _mode(data) == 0o700
    assert _mode(data / "blobs") == 0o700
    assert _mode(data / "blobs" / ".tmp") == 0o700


def test_existing_files_lose_group_and_other_access(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database = folder / "storeflight.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    (folder / "storeflight.db-wal").write_bytes(b"")
    (folder / "storeflight.db-wal").chmod(0o664)
    private_dir(folder)
    private_sqlite(database)
    assert _mode(folder) == 0o700
    assert _mode(database) == 0o600 and _mode(folder / "storeflight.db-wal") == 0o600


def test_a_new_database_file_is_created_private(tmp_path: Path) -> None:
    private_sqlite(tmp_path / "new.db")
    assert _mode(tmp_path / "new.db") == 0o600


def test_uploaded_blobs_and_their_side_files_are_private(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs", "key", fsync=False)
    blobs.put("b-1", iter([b"data"]), max_bytes=100, content_md5=None)
    assert _mode(tmp_path / "blobs") == 0o700
    assert _mode(tmp_path / "blobs" / "b-1") == 0o600
    assert {_mode(path) for path in (tmp_path / "blobs" / ".meta").iterdir()} <= {0o600}
