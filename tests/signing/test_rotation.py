"""Key rotation across two real server processes on one PostgreSQL database, without a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import jwt
import pytest

from storeflight.auth.tokens import RESOURCE
from storeflight.signing import keys
from storeflight.storage.sql import SqlStore
from tests.cli.test_worker import IDENTITY, Server
from tests.support import REQUIRE_PG, open_store, postgres_available, postgres_database, seed_client_and_app


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of this test's own: rotating keys on the shared one would log other tests out."""
    if not postgres_available():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required here (CI) but not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    with postgres_database() as url:
        yield url


@pytest.fixture
def servers(pg_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    a = Server(pg_url, tmp_path, "--no-worker").start()
    b = Server(pg_url, tmp_path, "--no-worker")
    try:
        yield a, b.start()
    finally:
        a.stop()
        b.stop()


class Tenant:
    def __init__(self, store: SqlStore) -> None:
        seeded = seed_client_and_app(store, IDENTITY.name, IDENTITY.publisher)
        self.tenant_id, self.client_id, self.secret, self.app_id = (
            seeded.tenant_id,
            seeded.client_id,
            seeded.secret,
            seeded.app_id,
        )

    def token(self, server: Server) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.secret,
            "resource": RESOURCE,
        }
        answer = httpx.post(f"{server.url}/{self.tenant_id}/oauth2/token", data=form)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def get_app(self, server: Server, token: str) -> httpx.Response:
        url = f"{server.url}/v1.0/my/applications/{self.app_id}"
        return httpx.get(url, headers={"Authorization": f"Bearer {token}"})

    def new_submission(self, server: Server, token: str) -> str:
        """A new submission's upload URL (the submission is remembered)."""
        answer = httpx.post(
            f"{server.url}/v1.0/my/applications/{self.app_id}/submissions",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text
        self.submission_id = str(answer.json()["id"])
        return str(answer.json()["fileUploadUrl"])

    def upload_url(self, server: Server, token: str) -> str:
        """The submission's upload URL as `server` signs it now."""
        answer = httpx.get(
            f"{server.url}/v1.0/my/applications/{self.app_id}/submissions/{self.submission_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["fileUploadUrl"])


def _on(server: Server, url: str) -> str:
    """The same signed URL, sent to another process."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=urlsplit(server.url).netloc))


def _upload(server: Server, url: str) -> int:
    return httpx.put(_on(server, url), content=b"archive", headers={"x-ms-blob-type": "BlockBlob"}).status_code


def _rotate(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "storeflight", "admin", "rotate-keys", "--database-url", url, *extra]
    return subprocess.run(command, check=False, capture_output=True, text=True, env=dict(os.environ), timeout=60)


def _token_keys(store: SqlStore) -> keys.KeyPair:
    with store.transaction(write=False) as tx:
        pair = keys.read(tx, keys.TOKEN)
    assert pair is not None
    return pair


def _signed_with(key: str, token: str) -> bool:
    try:
        jwt.decode(token, key, algorithms=["HS256"], audience=RESOURCE)
    except jwt.PyJWTError:
        return False
    return True


def _new_token_signed_with(key: str, mint: Callable[[], str]) -> str:
    """A token `mint` gives once its process has picked up `key` (within seconds of the rotation)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        token = mint()
        if _signed_with(key, token):
            return token
        time.sleep(0.2)
    raise AssertionError("the server kept signing with the old key")


def test_rotation_reaches_running_processes_and_logs_nobody_out(servers: tuple[Server, Server], pg_url: str) -> None:
    a, b = servers
    store = open_store(pg_url)
    try:
        tenant = Tenant(store)
        first_key = _token_keys(store).current
        old_token = tenant.token(a)
        old_url = tenant.new_submission(a, old_token)

        rotated = _rotate(pg_url)
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        assert json.loads(rotated.stdout)["rotated"] == ["token", "sas"]
        pair = _token_keys(store)
        assert pair.previous == first_key and pair.current != first_key
        from_a = _new_token_signed_with(pair.current, lambda: tenant.token(a))
        from_b = _new_token_signed_with(pair.current, lambda: tenant.token(b))
        assert not _signed_with(first_key, from_a) and not _signed_with(first_key, from_b)
        for server in (a, b):
            assert tenant.get_app(server, old_token).status_code == 200  # issued before the rotation
            assert _upload(server, old_url) == 201  # handed out before the rotation
            assert tenant.get_app(server, from_a).status_code == 200
            assert tenant.get_app(server, from_b).status_code == 200
        new_url = tenant.upload_url(b, from_b)
        assert new_url.split("sig=")[1] != old_url.split("sig=")[1]
        assert _upload(a, new_url) == 201 and _upload(b, new_url) == 201

        too_soon = _rotate(pg_url)
        assert too_soon.returncode == 2
        assert json.loads(too_soon.stdout)["error"]["code"] == "InvalidState"  # the first key's tokens may live
        assert _token_keys(store) == pair  # refused as a whole: nothing rotated

        forced = _rotate(pg_url, "--force")
        assert forced.returncode == 0, forced.stdout + forced.stderr
        third = _token_keys(store).current
        _new_token_signed_with(third, lambda: tenant.token(a))
        _new_token_signed_with(third, lambda: tenant.token(b))
        for server in (a, b):
            refused = tenant.get_app(server, old_token)
            assert refused.status_code == 401
            assert refused.json()["statusCode"] == 401 and refused.json()["code"] == "Unauthorized"
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            assert _upload(server, old_url) == 403  # the first URL key is dropped too
            assert tenant.get_app(server, from_a).status_code == 200  # the second key is the previous one now
            assert _upload(server, new_url) == 201
    finally:
        store.close()
