"""Shared test helpers: databases, a real uvicorn server in a thread, and a tenant with a token."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
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


@dataclass(frozen=True)
class Seeded:
    """An API client of a new tenant (with its secret) and an app of that tenant."""

    tenant_id: str
    client_id: str
    secret: str
    app_id: str


def seed_client_and_app(store: SqlStore, identity_name: str, publisher: str) -> Seeded:
    """A new tenant's API client and an app with that identity, through the admin use cases."""
    with store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="t", now=dates.utcnow())
        app = admin.create_app(
            tx,
            tenant_id=client.tenant_id,
            name="A",
            identity_name=identity_name,
            publisher=publisher,
            now=dates.utcnow(),
        )
    return Seeded(client.tenant_id, client.client_id, secret, app.id)


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


class ServeProcess:
    """`storeflight serve` as a real process on 127.0.0.1 (SQLite in `data_dir`), with its memory readable."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = ["--port", str(self.port), "--data-dir", str(data_dir), "--no-worker", "--log-level", "warning"]
        self.args += list(args)
        self.output: list[str] = []

    def __enter__(self) -> ServeProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "storeflight", "serve", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        stdout = self.process.stdout
        self._reader = threading.Thread(target=lambda: self.output.extend(iter(stdout.readline, "")), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("storeflight serve did not start: " + "".join(self.output))

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)

    def rss_mib(self) -> float:
        """The server's resident memory now (VmRSS of /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def tenant_client(self) -> tuple[str, str, str]:
        """A new tenant's API client in the server's database: (tenant id, client id, secret)."""
        store = open_store(f"sqlite:///{self.data_dir / 'storeflight.db'}")
        try:
            with store.transaction(write=True) as tx:
                client, secret = admin.create_client(tx, tenant_id=None, name="tests", now=dates.utcnow())
        finally:
            store.close()
        return client.tenant_id, client.client_id, secret

    def token(self, tenant_id: str, client_id: str, secret: str) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "resource": "https://manage.devcenter.microsoft.com",
        }
        response = httpx.post(f"{self.url}/{tenant_id}/oauth2/token", data=form)
        response.raise_for_status()
        return str(response.json()["access_token"])


@dataclass
class RawAnswer:
    """What a raw HTTP exchange got back: status (0: none, the connection was closed), headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def raw_exchange(port: int, head: bytes, body: Iterator[bytes] = iter(()), *, timeout: float = 60) -> RawAnswer:
    """Send `head` and then `body` on a fresh socket while reading the answer in parallel, so an answer the
    server sends (and a connection it closes) before the body is all sent is still seen."""
    started = time.monotonic()
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:

        def read() -> None:
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    received.extend(chunk)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        with contextlib.suppress(OSError):
            sock.sendall(head)
            for part in body:
                sock.sendall(part)
        reader.join(timeout)
    return _parse_answer(bytes(received), time.monotonic() - started)


def _parse_answer(raw: bytes, seconds: float) -> RawAnswer:
    if not raw:
        return RawAnswer(0, {}, b"", seconds)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawAnswer(int(lines[0].split()[1]), headers, body, seconds)


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
