"""The per-process snapshot cache against a real (SQLite) store: rebuilt when the versions move, never keeping
a view built from data older than the versions it would be filed under."""

from __future__ import annotations

from pathlib import Path

from storeflight.delivery.snapshot import SnapshotCache
from storeflight.domain import dates
from storeflight.domain.models import Application
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.support import open_store

TENANT = "00000000-0000-0000-0000-00000000abcd"


def _store_with_app(tmp_path: Path) -> tuple[SqlStore, Application]:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with store.transaction(write=True) as tx:
        app = admin.create_app(
            tx, tenant_id=TENANT, name="Snap", identity_name="Test.Snap", publisher="CN=Test", now=dates.utcnow()
        )
    return store, app


def test_a_snapshot_is_reused_until_the_delivery_version_moves(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache, loads = SnapshotCache(store, recheck=0.0), []

    def load() -> Application:
        loads.append(app.id)
        return app

    for _ in range(2):
        with store.transaction(write=False) as tx:
            snapshot = cache.get(tx, app.tenant_id, app.id, load)
    assert snapshot.app.app_id == app.id and len(loads) == 1
    with store.transaction(write=True) as tx:
        tx.bump_delivery_version()
    with store.transaction(write=False) as tx:
        cache.get(tx, app.tenant_id, app.id, load)
    assert len(loads) == 2


def test_a_view_built_while_another_request_saw_a_newer_version_is_not_kept(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache, loads = SnapshotCache(store, recheck=0.0), []

    def load_while_state_changes() -> Application:
        loads.append(app.id)
        if len(loads) == 1:  # a change lands and another request's re-check sees it during this build
            with store.transaction(write=True) as tx:
                tx.bump_delivery_version()
            with store.transaction(write=False) as tx:
                cache._recheck(tx)
        return app

    with store.transaction(write=False) as tx:
        first = cache.get(tx, app.tenant_id, app.id, load_while_state_changes)
    assert first.app.app_id == app.id  # answered once...
    with store.transaction(write=False) as tx:
        cache.get(tx, app.tenant_id, app.id, load_while_state_changes)
    assert len(loads) == 2  # ...but rebuilt for the next request, not filed under the newer version
