"""`storeflight admin restore`: a checked backup becomes a new data folder a server runs on."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from storeflight.auth.tokens import RESOURCE
from storeflight.cli.main import app
from storeflight.storage.migrate import HEAD_REVISION
from tests.cli.test_worker import IDENTITY, Server, _commit_one, _wait_status
from tests.support import open_store, seed_client_and_app

runner = CliRunner()
DEVICE = {"deviceFamily": "Windows.Desktop", "osVersion": "10.0.19045.0", "architecture": "x64"}


def _admin(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, ["admin", *args])
    return result.exit_code, json.loads(result.stdout)


def _serve(data_dir: Path) -> Server:
    data_dir.mkdir(mode=0o700, exist_ok=True)
    return Server(f"sqlite:///{data_dir / 'storeflight.db'}", data_dir).start()


def _login(server: Server, tenant_id: str, client_id: str, secret: str) -> httpx.Client:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "resource": RESOURCE}
    answer = httpx.post(f"{server.url}/{tenant_id}/oauth2/token", data=form)
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=f"{server.url}/v1.0/my/", headers=headers, timeout=30)


def _delivered(http: httpx.Client, app_id: str) -> tuple[str, int, str]:
    """The version, size and SHA-256 of the package delivery hands out, the bytes downloaded and checked."""
    query = {"customerId": "someone", **DEVICE}
    (package,) = http.get(f"applications/{app_id}/delivery", params=query).json()["packages"]
    download = httpx.get(package["downloadUrl"])
    assert download.status_code == 200
    assert (len(download.content), hashlib.sha256(download.content).hexdigest()) == (package["size"], package["sha256"])
    return str(package["version"]), len(download.content), hashlib.sha256(download.content).hexdigest()


def _delivered_soon(http: httpx.Client, app_id: str, version: str) -> bool:
    """Whether delivery hands out `version` within seconds (a publish reaches the snapshots in about 0.5 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _delivered(http, app_id)[0] == version:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def published(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """A running server whose app has one published submission, and the API client to reach it."""
    data = tmp_path / "data"
    server = _serve(data)
    store = open_store(f"sqlite:///{data / 'storeflight.db'}")
    try:
        seeded = seed_client_and_app(store, IDENTITY.name, IDENTITY.publisher)
    finally:
        store.close()
    login = {"tenant_id": seeded.tenant_id, "client_id": seeded.client_id, "secret": seeded.secret,
             "app_id": seeded.app_id}  # fmt: skip
    try:
        with _login(server, login["tenant_id"], login["client_id"], seeded.secret) as http:
            sid = _commit_one(http, seeded.app_id, "1.2.3.0")
            assert _wait_status(http, seeded.app_id, sid, {"Published", "CommitFailed"}, timeout=60) == "Published"
        yield server, login
    finally:
        server.stop()


def test_a_backup_taken_while_serving_restores_into_a_working_server(
    published: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, login = published
    app_id = login["app_id"]
    with _login(server, login["tenant_id"], login["client_id"], login["secret"]) as http:
        before = _delivered(http, app_id)
    code, report = _admin("backup", "--to", str(tmp_path / "backup"), "--data-dir", str(tmp_path / "data"))
    assert code == 0, report
    server.stop()

    new = tmp_path / "restored"
    code, restored = _admin("restore", "--from", str(tmp_path / "backup"), "--data-dir", str(new))
    assert code == 0, restored
    assert restored["schemaRevision"] == HEAD_REVISION and restored["blobs"] == report["blobs"] > 0
    for path in [new, *new.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))

    again = _serve(new)
    try:
        with _login(again, login["tenant_id"], login["client_id"], login["secret"]) as http:
            assert _delivered(http, app_id) == before  # the same package bytes, from the restored blobs
            sid = _commit_one(http, app_id, "1.2.4.0")
            assert _wait_status(http, app_id, sid, {"Published", "CommitFailed"}, timeout=60) == "Published"
            assert _delivered_soon(http, app_id, "1.2.4.0")
    finally:
        again.stop()


def _backup_of_a_new_database(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    assert _admin("create-client", "--data-dir", str(data))[0] == 0
    assert _admin("backup", "--to", str(tmp_path / "backup"), "--data-dir", str(data))[0] == 0
    return tmp_path / "backup"


def test_restore_refuses_a_target_that_is_not_empty_a_damaged_copy_and_a_newer_schema(tmp_path: Path) -> None:
    backup = _backup_of_a_new_database(tmp_path)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep").write_text("mine")
    code, error = _admin("restore", "--from", str(backup), "--data-dir", str(busy))
    assert code == 2 and "not empty" in error["error"]["message"] and (busy / "keep").read_text() == "mine"

    newer = tmp_path / "newer"
    shutil.copytree(backup, newer)
    with sqlite3.connect(newer / "storeflight.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    code, error = _admin("restore", "--from", str(newer), "--data-dir", str(tmp_path / "n"))
    assert code == 2 and "9999" in error["error"]["message"] and not (tmp_path / "n").exists()

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    database = damaged / "storeflight.db"
    raw = bytearray(database.read_bytes())
    raw[4096 : 4096 * 3] = b"\xff" * (4096 * 2)  # pages past the header: the file opens, its b-trees are broken
    database.write_bytes(bytes(raw))
    code, error = _admin("restore", "--from", str(damaged), "--data-dir", str(tmp_path / "d"))
    assert code == 2 and ("damaged" in error["error"]["message"] or "cannot be read" in error["error"]["message"])
    assert not (tmp_path / "d").exists()

    code, error = _admin("restore", "--from", str(tmp_path / "nothing"), "--data-dir", str(tmp_path / "e"))
    assert code == 2 and "not a storeflight backup" in error["error"]["message"]
