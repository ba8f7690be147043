"""Shared test helpers: databases, a real uvicorn server in a thread, and a tenant with a token."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from storeflight.blobs.protocol import BlobStore
from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.http.app import build_state, create_app
from storeflight.services import admin
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore

PG_ADMIN_URL = os.environ.get("STOREFLIGHT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("STOREFLIGHT_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test session, dropped afterwards."""
    name = f"storeflight_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def open_store(url: str) -> SqlStore:
    engine = make_engine(url)
    migrate(engine)
    return SqlStore(engine)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A real uvicorn server on 127.0.0.1, in a background thread."""

    def __init__(
        self, store: SqlStore, settings: Settings, *, blobs: BlobStore | None = None, **uvicorn_options: Any
    ) -> None:
        self.store = store
        self.settings = settings
        self.port = free_port()
        scheme = "https" if "ssl_certfile" in uvicorn_options else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.verify: str | bool = uvicorn_options.get("ssl_certfile", True)
        self.state = build_state(store, settings, blobs)
        config = uvicorn.Config(
            create_app(self.state),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
            **uvicorn_options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Tenant:
    """A tenant with one API client, a token and helpers to seed apps and groups."""

    server: LiveServer
    tenant_id: str
    client_id: str
    secret: str
    token: str = ""
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        if not self.token:
            self.token = self.fetch_token()
        self.http = httpx.Client(
            base_url=f"{self.server.url}/v1.0/my/",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            verify=_ssl_context(self.server.verify),
        )

    def fetch_token(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.secret,
            "resource": "https://manage.devcenter.microsoft.com",
        }
        response = httpx.post(
            f"{self.server.url}/{self.tenant_id}/oauth2/token", data=form, verify=_ssl_context(self.server.verify)
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def create_app(
        self,
        *,
        baseline: bool = True,
        identity: str = "Contoso.App",
        publisher: str = "CN=Contoso",
        unsupported: bool = False,
    ) -> str:
        with self.server.store.transaction(write=True) as tx:
            app = admin.create_app(
                tx,
                tenant_id=self.tenant_id,
                name=f"App {uuid.uuid4().hex[:6]}",
                identity_name=identity,
                publisher=publisher,
                now=dates.utcnow(),
                baseline=baseline,
                unsupported_features=unsupported,
            )
        return app.id

    def create_group(self, members: list[str] | None = None, name: str = "testers") -> str:
        with self.server.store.transaction(write=True) as tx:
            group = admin.create_group(
                tx, tenant_id=self.tenant_id, name=name, members=members or [], now=dates.utcnow()
            )
        return group.id

    def create_flight(
        self, app_id: str, name: str = "beta", groups: list[str] | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {"friendlyName": name, "groupIds": groups or [self.create_group()], **extra}
        response = self.http.post(f"applications/{app_id}/flights", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def _ssl_context(verify: str | bool) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


def new_tenant(server: LiveServer) -> Tenant:
    with server.store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="tests", now=dates.utcnow())
    return Tenant(server, client.tenant_id, client.client_id, secret)


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp, "token_lifetime": timedelta(minutes=60)}
    values.update(overrides)
    return Settings(**values)


def force_state(server: LiveServer, tenant: Tenant, submission_id: str, **changes: Any) -> None:
    """Put a submission into a state the API cannot reach yet (the pipeline's states, portal origin)."""
    with server.store.transaction(write=True) as tx:
        submission = tx.get_submission(tenant.tenant_id, submission_id)
        assert submission is not None
        if changes.get("status") is not None and str(changes["status"]) == "Published":
            changes.setdefault("published_at", dates.utcnow())
        tx.save_submission(submission.model_copy(update=changes))


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A real, small file system (tmpfs of `size`) at `path`, to fill up; skipped, saying why, where mounting
    is not permitted (the ENOSPC-raising fixtures cover the same paths there)."""
    path.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot mount a tmpfs to fill a disk for real: {error}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill a disk for real: {done.stderr.strip() or done.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30, check=False)


def fill_disk(folder: Path, *, leave: int = 0) -> Path:
    """A file that takes all but `leave` bytes of the free space of `folder`'s file system."""
    filler = folder / "filler"
    size = shutil.disk_usage(folder).free - leave
    with filler.open("ab") as out:
        if size > 0:
            os.posix_fallocate(out.fileno(), out.tell(), size)
    return filler
