"""A live server with a rough-edges profile, on the session's database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from storeflight.domain import dates
from storeflight.roughedges.profile import parse
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, Tenant, make_settings

RoughServer = Callable[..., AbstractContextManager[LiveServer]]


@pytest.fixture
def rough_server(store: SqlStore, tmp_path: Path) -> RoughServer:
    """`with rough_server({profile}) as live:` starts a server with that profile (and extra settings)."""

    @contextmanager
    def start(profile: dict[str, Any], **settings: Any) -> Iterator[LiveServer]:
        with LiveServer(store, make_settings(tmp_path, rough=parse(profile), **settings)) as live:
            yield live

    return start


def tenant_named(live: LiveServer, tenant_id: str) -> Tenant:
    """A new client of a fixed tenant: a pipeline's tenant is the same from run to run, and so are its draws."""
    with live.store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=tenant_id, name="ci", now=dates.utcnow())
    return Tenant(live, client.tenant_id, client.client_id, secret)
