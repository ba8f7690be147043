"""The pipeline in real processes: the server's embedded worker, crash and restart, two workers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from storeflight.scratch import LOCK_NAME, LockedFolder
from storeflight.storage import tables
from storeflight.storage.sql import SqlStore
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import zip_of
from tests.support import free_port, seed_client_and_app
from tests.test_scratch import abandoned, age

IDENTITY = Identity()
FINAL = {"Published", "CommitFailed", "PreProcessingFailed", "CertificationFailed", "ReleaseFailed", "PublishFailed"}


class Server:
    """`storeflight serve` as a subprocess that a test may kill and start again."""

    def __init__(self, database_url: str, data_dir: Path, *extra: str) -> None:
        self.args = [
            sys.executable,
            "-m",
            "storeflight",
            "serve",
            "--database-url",
            database_url,
            "--data-dir",
            str(data_dir),
            "--log-level",
            "warning",
            *extra,
        ]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> Server:
        self.process = subprocess.Popen([*self.args, "--port", str(self.port)], env=dict(os.environ))
        return self

    def start(self) -> Server:
        self.spawn()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(20)


def _client(store: SqlStore, server: Server) -> tuple[httpx.Client, str]:
    seeded = seed_client_and_app(store, IDENTITY.name, IDENTITY.publisher)
    token = httpx.post(
        f"{server.url}/{seeded.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": seeded.client_id,
            "client_secret": seeded.secret,
            "resource": "https://manage.devcenter.microsoft.com",
        },
    ).json()["access_token"]
    http = httpx.Client(base_url=f"{server.url}/v1.0/my/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return http, seeded.app_id


def _commit_one(http: httpx.Client, app_id: str, version: str = "1.2.3.0") -> str:
    sub = http.post(f"applications/{app_id}/submissions").json()
    sub["applicationPackages"] = [{"fileName": "a.msix", "fileStatus": "PendingUpload"}]
    sub["notesForCertification"] = "Test."
    put = http.put(f"applications/{app_id}/submissions/{sub['id']}", json=sub).json()
    data = zip_of({"a.msix": package_bytes(identity=Identity(version=version))})
    assert httpx.put(put["fileUploadUrl"], content=data, headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    assert http.post(f"applications/{app_id}/submissions/{sub['id']}/commit").status_code == 200
    return str(sub["id"])


def _wait_status(http: httpx.Client, app_id: str, sid: str, wanted: set[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = str(http.get(f"applications/{app_id}/submissions/{sid}/status").json()["status"])
        except httpx.TransportError:
            status = ""
        if status in wanted:
            return status
        time.sleep(0.05)
    raise AssertionError(f"submission {sid} never reached {wanted}")


def _wait_stored_status(store: SqlStore, sid: str, wanted: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.engine.connect() as conn:
            status = conn.scalar(select(tables.submissions.c.status).where(tables.submissions.c.id == sid))
        if status in wanted:
            return str(status)
        time.sleep(0.02)
    raise AssertionError(f"submission {sid} never reached {wanted}")


@pytest.fixture
def served(database_url: str, store: SqlStore, tmp_path: Path) -> Iterator[tuple[Server, httpx.Client, str]]:
    server = Server(database_url, tmp_path, "--stage-delay", "0").start()
    http, app_id = _client(store, server)
    yield server, http, app_id
    server.stop()


def test_the_embedded_worker_publishes_a_commit(served: tuple[Server, httpx.Client, str]) -> None:
    _, http, app_id = served
    sid = _commit_one(http, app_id)
    assert _wait_status(http, app_id, sid, FINAL) == "Published"


STAGES = ["CommitStarted", "PreProcessing", "Certification", "Release", "PendingPublication", "Publishing"]


def test_killing_the_server_in_every_stage_loses_nothing(database_url: str, store: SqlStore, tmp_path: Path) -> None:
    server = Server(database_url, tmp_path, "--stage-delay", "2.0", "--lease-seconds", "2").start()
    http, app_id = _client(store, server)
    sid = _commit_one(http, app_id)
    try:
        for stage in STAGES:
            # Watched in the database, not over HTTP: a restarting server works before it answers.
            reached = _wait_stored_status(store, sid, {stage, *FINAL})
            assert reached == stage, f"skipped past {stage} to {reached}"
            server.kill()
            server.spawn()
        assert _wait_stored_status(store, sid, FINAL) == "Published"
        _wait_status(http, app_id, sid, FINAL)
        body = http.get(f"applications/{app_id}/submissions/{sid}").json()
    finally:
        server.stop()
    assert body["applicationPackages"][0]["fileStatus"] == "Uploaded"


def test_two_workers_process_fifty_submissions_exactly_once(database_url: str, store: SqlStore, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several worker processes need PostgreSQL (SQLite runs the embedded worker only)")
    server = Server(database_url, tmp_path, "--no-worker").start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        clients = [_client(store, server) for _ in range(50)]
        committed = [(http, app_id, _commit_one(http, app_id)) for http, app_id in clients]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "storeflight",
                    "worker",
                    "--database-url",
                    database_url,
                    "--data-dir",
                    str(tmp_path),
                    "--log-level",
                    "warning",
                ]
            )
            for _ in range(2)
        ]
        for http, app_id, sid in committed:
            assert _wait_status(http, app_id, sid, FINAL, timeout=120) == "Published"
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
            process.wait(20)
        server.stop()
    ids = [sid for _, _, sid in committed]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(tables.submission_events.c.submission_id, tables.submission_events.c.to_status).where(
                tables.submission_events.c.submission_id.in_(ids)
            )
        ).all()
    counts = Counter((row.submission_id, row.to_status) for row in rows)
    for sid in ids:
        assert [counts[(sid, stage)] for stage in [*STAGES[1:], "Published"]] == [1] * 6, sid


def test_a_worker_process_sweeps_dead_stage_folders_at_start_and_stops_on_sigterm(
    database_url: str, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    dead = abandoned(temp)
    live = LockedFolder(temp, "storeflight-pkg-")
    age(live.path / LOCK_NAME, 60)
    command = [sys.executable, "-m", "storeflight", "worker", "--database-url", database_url]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path), "--worker-slots", "3"], env={**os.environ, "TMPDIR": str(temp)}
    )
    try:
        deadline = time.monotonic() + 30
        while dead.exists():
            assert time.monotonic() < deadline, "the worker did not sweep the dead stage's folder"
            time.sleep(0.05)
        assert live.path.exists()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        live.close()
    assert code == 0
