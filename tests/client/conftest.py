"""Client tests against a real storeflight server (SQLite only: the server is tested on both databases).

Time is simulated: the client's `sleep` advances a fake clock and runs one pipeline stage of the real worker,
so a wait sees every status the submission passes through without any real waiting.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from storeflight.client import ClientConfig, StoreClient
from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.ingest.builders import DEFAULT_FILES, Identity, write_package
from tests.support import LiveServer, Tenant, make_settings, new_tenant, open_store

IDENTITY = Identity()


@dataclass
class SimulatedTime:
    """A monotonic clock that moves only when the client sleeps; each sleep also runs one pipeline stage."""

    worker: Worker | None = None
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.worker is not None:
            self.worker.run_once()

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture(scope="session")
def client_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('client-db') / 'storeflight.db'}")
    with LiveServer(store, make_settings(tmp_path_factory.mktemp("client-data"))) as live:
        yield live
    store.close()


@pytest.fixture
def tenant(client_server: LiveServer) -> Tenant:
    return new_tenant(client_server)


@pytest.fixture
def worker(client_server: LiveServer) -> Worker:
    return Worker(client_server.store, client_server.state.blobs, WorkerSettings())


@pytest.fixture
def time_(worker: Worker) -> SimulatedTime:
    """Simulated time that also drives the live server's pipeline."""
    return SimulatedTime(worker)


@pytest.fixture
def fake_time() -> SimulatedTime:
    """Simulated time alone (for the quirks server)."""
    return SimulatedTime()


def config_for(tenant: Tenant, **overrides: object) -> ClientConfig:
    url = tenant.server.url
    values: dict[str, object] = {
        "tenant_id": tenant.tenant_id,
        "client_id": tenant.client_id,
        "client_secret": tenant.secret,
        "base_url": url,
        "authority": url,
        "max_retries": 2,
        "timeout": 30.0,
    }
    values.update(overrides)
    return ClientConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(tenant: Tenant, time_: SimulatedTime) -> Iterator[StoreClient]:
    with StoreClient(config_for(tenant), sleep=time_.sleep, clock=time_.clock) as store_client:
        yield store_client


@pytest.fixture
def app_id(tenant: Tenant) -> str:
    """An app of the built packages' identity, with a published baseline (so flights can be made)."""
    return tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)


def package_file(folder: Path, name: str = "Hello_x64.msix", version: str = "1.2.3.0", *, noise: int = 0) -> Path:
    """A valid .msix of the test app's identity, written to `folder/name`, with `noise` incompressible bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    files = {**DEFAULT_FILES, "noise.bin": random.Random(noise).randbytes(noise)} if noise else None
    write_package(path, identity=Identity(version=version), files=files)
    return path
