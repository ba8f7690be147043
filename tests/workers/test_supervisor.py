"""`serve --workers 2` as a real process tree: every worker current, the singletons once, SIGTERM stops all."""

from __future__ import annotations

import http.client
import os
import ssl
import time
from pathlib import Path
from typing import cast

import httpx
import pytest

from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.ingest.builders import Identity, package_bytes
from tests.intercept.conftest import LOGIN, PROXY_VARIABLES
from tests.pipeline.test_end_to_end import IDENTITY, submit, zip_of
from tests.support import LiveServer, Tenant, free_port
from tests.workers.processes import Workers, get_json

DEVICE = "deviceFamily=Windows.Desktop&osVersion=10.0.19045.0&architecture=x64"


def _tenant(workers: Workers, store: SqlStore) -> Tenant:
    workers.store = store  # type: ignore[attr-defined] - what Tenant needs of a server: url, verify, store
    with store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=None, name="tests", now=dates.utcnow())
    return Tenant(cast(LiveServer, workers), client.tenant_id, client.client_id, secret)


def _one_connection_per_worker(workers: Workers) -> dict[int, http.client.HTTPConnection]:
    """Kept-alive connections until every worker holds one (the kernel hands each to a waiting worker)."""
    pinned: dict[int, http.client.HTTPConnection] = {}
    expected = workers.worker_pids()
    for _ in range(200):
        connection = http.client.HTTPConnection("127.0.0.1", workers.port, timeout=30)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        pid = workers.serving(connection)
        if pid in pinned:
            connection.close()
        else:
            pinned[pid] = connection
        if set(pinned) == expected:
            return pinned
    raise AssertionError(f"connections reached only {sorted(pinned)} of {sorted(expected)}")


def _wait_published(tenant: Tenant, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = tenant.http.get(f"{url}/status").json()["status"]
        if status == "Published":
            return
        assert "Failed" not in status, status
        time.sleep(0.1)
    raise AssertionError("the pipeline did not publish")


def _versions(connection: http.client.HTTPConnection, tenant: Tenant, app_id: str) -> tuple[str, ...]:
    """The versions delivered to the flight's one member, by the worker holding `connection`."""
    path = f"/v1.0/my/applications/{app_id}/delivery?customerId=member@example.com&{DEVICE}"
    return tuple(p["version"] for p in get_json(connection, path, tenant.token)["packages"])


def test_a_change_made_through_one_worker_reaches_every_worker(
    tmp_path: Path, database_url: str, store: SqlStore
) -> None:
    with Workers(tmp_path / "data", database_url) as workers:
        assert len(workers.worker_pids()) == 2
        tenant = _tenant(workers, store)
        app_id = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
        flight = tenant.create_flight(app_id, groups=[tenant.create_group(["member@example.com"])])
        base = f"applications/{app_id}/flights/{flight['flightId']}/submissions"
        tenant.http.delete(f"{base}/{flight['pendingFlightSubmission']['id']}")
        rollout = {"packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": 0.0}}
        package = zip_of({"f.msix": package_bytes(identity=Identity(version="2.0.0.0"))})
        sid = submit(tenant, base, [{"fileName": "f.msix", "fileStatus": "PendingUpload"}], package,
                     packageDeliveryOptions=rollout)
        _wait_published(tenant, f"{base}/{sid}")  # by the one pipeline, in the supervisor, woken by the commit
        pinned = _one_connection_per_worker(workers)
        before = {pid: _versions(c, tenant, app_id) for pid, c in pinned.items()}
        assert not [pid for pid, seen in before.items() if "2.0.0.0" in seen]  # every worker's snapshot: at 0%
        changer = next(iter(pinned.values()))
        get_json(changer, f"/v1.0/my/{base}/{sid}/updatepackagerolloutpercentage?percentage=100", tenant.token,
                 method="POST")
        deadline = time.monotonic() + 10  # propagation time is a benchmark figure, not asserted here
        seen: dict[int, tuple[str, ...]] = {}
        while not seen or (time.monotonic() < deadline and set(seen.values()) != {("2.0.0.0",)}):
            seen = {pid: _versions(c, tenant, app_id) for pid, c in pinned.items()}
            time.sleep(0.05)
        assert seen == dict.fromkeys(pinned, ("2.0.0.0",))
        for connection in pinned.values():
            connection.close()
    pipelines = [line for line in workers.output if "ingestion pipeline runs in process" in line]
    assert pipelines == [f"INFO storeflight: ingestion pipeline runs in process {workers.process.pid} with 2 slots\n"]


def test_sigterm_stops_the_workers_and_the_proxy_child_with_exit_code_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    proxy_port = free_port()
    url = f"sqlite:///{tmp_path / 'data' / 'storeflight.db'}"
    with Workers(tmp_path / "data", url, "--intercept-port", str(proxy_port)) as workers:
        ca_file = tmp_path / "data" / "ca" / "ca.pem"
        trust = ssl.create_default_context(cafile=ca_file)
        through_proxy = httpx.get(f"{LOGIN}/t/v2.0/.well-known/openid-configuration",
                                  proxy=f"http://127.0.0.1:{proxy_port}", verify=trust)
        assert through_proxy.status_code == 200  # the proxy child, to the TLS listener one of the workers serves
        descendants = workers.descendants()
        proxies = [pid for pid in descendants if b"storeflight.intercept.child" in _cmdline(pid)]
        assert len(workers.worker_pids()) == 2 and len(proxies) == 1
        code = workers.stop()
    assert code == 0, "".join(workers.output)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in descendants):
        time.sleep(0.05)
    assert not [pid for pid in descendants if _alive(pid)], "".join(workers.output)


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()
