"""Fixtures: every test that touches storage runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storeflight.storage.sql import SqlStore
from tests.jstools import Azurite, run_azurite
from tests.support import (
    REQUIRE_PG,
    LiveServer,
    Tenant,
    free_port,
    make_settings,
    new_tenant,
    open_store,
    postgres_available,
    postgres_database,
)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'storeflight.db'}"
        return
    if not postgres_available():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required here (CI) but not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432; the PostgreSQL variant is skipped")
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def store(database_url: str) -> Iterator[SqlStore]:
    store = open_store(database_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def server(store: SqlStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(store, make_settings(tmp_path_factory.mktemp("data"))) as live:
        yield live


@pytest.fixture
def tenant(server: LiveServer) -> Tenant:
    """A fresh tenant: tests share a database but never see each other's data."""
    return new_tenant(server)


@pytest.fixture
def app_id(tenant: Tenant) -> str:
    return tenant.create_app()


@pytest.fixture
def tmp_data(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite (npm, tests/js) on a free port, one per test process; skipped or required as jstools says."""
    with run_azurite(free_port(), tmp_path_factory.mktemp("azurite")) as running:
        yield running
