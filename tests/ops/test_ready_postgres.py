"""Readiness follows the database: 503 while a (throwaway) PostgreSQL cluster is stopped, 200 once it is back."""

from __future__ import annotations

import glob
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_worker import Server
from tests.support import free_port

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class Cluster:
    """A PostgreSQL cluster of the test's own on a free port, run as the `postgres` OS user."""

    def __init__(self) -> None:
        self.bin = Path(BINARIES[-1])
        self.folder = Path(tempfile.mkdtemp(prefix="storeflight-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.data, self.port = self.folder / "data", free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], check=False, capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not BINARIES or shutil.which("runuser") is None:
        pytest.skip("the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) or runuser are not installed")
    made = Cluster()
    try:
        made.start()
        yield made
    finally:
        made.remove()


def _until(url: str, status: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(url, timeout=10)
        if answer.status_code == status:
            body: dict[str, Any] = answer.json()
            return body
        time.sleep(0.2)
    raise AssertionError(f"/readyz never answered {status}")


def test_readiness_fails_while_postgres_is_down_and_recovers(cluster: Cluster, tmp_path: Path) -> None:
    server = Server(cluster.url, tmp_path).start()
    ready = f"{server.url}/readyz"
    try:
        assert httpx.get(ready).status_code == 200
        cluster.stop()
        down = _until(ready, 503)
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # alive all along: only not ready
        cluster.start()
        back = _until(ready, 200)
    finally:
        server.stop()
    assert down["status"] == "unready"
    assert "database" in down["failing"]
    assert down["checks"]["blobs"] == "ok"
    assert back == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "blobs": "ok"}, "failing": []}
