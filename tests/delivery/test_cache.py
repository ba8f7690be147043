"""The per-process snapshot cache against a real (SQLite) store: built once, answered without the database,
refreshed in the background when the delivery versions move, and never lost to a failed refresh."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from storeflight.delivery.cache import SnapshotCache
from storeflight.delivery.snapshot import Snapshot
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


def _first(store: SqlStore, cache: SnapshotCache, app: Application, loads: list[str]) -> Snapshot:
    def load() -> Application:
        loads.append(app.id)
        return app

    with store.transaction(write=False) as tx:
        return cache.get(tx, app.tenant_id, app.id, load)


def _bump(store: SqlStore, *, members: bool = False) -> None:
    with store.transaction(write=True) as tx:
        tx.bump_delivery_version(members=members)


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the background refresh did not happen"
        time.sleep(0.02)


def test_the_first_snapshot_is_built_once_and_then_answered_without_loading(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache, loads = SnapshotCache(store, recheck=60.0), []
    assert cache.fresh(app.tenant_id, app.id) is None
    first = _first(store, cache, app, loads)
    assert _first(store, cache, app, loads) is first
    assert cache.fresh(app.tenant_id, app.id) is first
    assert cache.fresh("another-tenant", app.id) is None  # never answered across tenants
    assert loads == [app.id]


def test_a_refresh_rebuilds_the_view_and_keeps_the_membership_index_unless_members_moved(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache = SnapshotCache(store, recheck=60.0)
    first = _first(store, cache, app, [])
    _bump(store)
    assert cache.fresh(app.tenant_id, app.id) is first  # the old one answers until a refresh
    cache.refresh()
    second = cache.fresh(app.tenant_id, app.id)
    assert second is not None and second is not first
    assert second.versions[0] > first.versions[0] and second.groups_of is first.groups_of
    _bump(store, members=True)
    cache.refresh()
    third = cache.fresh(app.tenant_id, app.id)
    assert third is not None and third.versions[1] > second.versions[1]
    assert third.groups_of is not second.groups_of


def test_a_busy_process_answers_from_the_current_snapshot_while_it_refreshes(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache = SnapshotCache(store, recheck=2.0)
    first = _first(store, cache, app, [])
    _bump(store)
    time.sleep(2.3)  # the check is due, but not overdue (within 2 x recheck)
    assert cache.fresh(app.tenant_id, app.id) is first  # answered at once; a refresh starts in the background
    _wait_for(lambda: cache.fresh(app.tenant_id, app.id) is not first)
    now = cache.fresh(app.tenant_id, app.id)
    assert now is not None and now.versions[0] > first.versions[0]


def test_a_quiet_process_checks_before_answering(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache, loads = SnapshotCache(store, recheck=0.05), []
    first = _first(store, cache, app, loads)
    _bump(store)
    time.sleep(0.2)  # past 2 x recheck: no answer without a check
    assert cache.fresh(app.tenant_id, app.id) is None
    checked = _first(store, cache, app, loads)
    assert checked.versions[0] > first.versions[0] and loads == [app.id]


def test_a_failed_refresh_keeps_the_current_snapshot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store, app = _store_with_app(tmp_path)
    cache = SnapshotCache(store, recheck=2.0)
    first = _first(store, cache, app, [])
    time.sleep(2.3)  # the check is due, not overdue
    with store.transaction(write=True) as tx:  # the versions can no longer be read
        tx.conn.execute(text("DROP TABLE settings"))
    with caplog.at_level(logging.ERROR, logger="storeflight.delivery"):
        assert cache.fresh(app.tenant_id, app.id) is first
        _wait_for(lambda: any("refreshing delivery snapshots failed" in r.message for r in caplog.records))
    assert cache.fresh(app.tenant_id, app.id) is first


def test_warming_builds_every_app_with_a_published_submission(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)  # create-app publishes a baseline submission
    with store.transaction(write=True) as tx:
        bare = admin.create_app(
            tx, tenant_id=TENANT, name="Bare", identity_name="Test.Bare", publisher="CN=Test", now=dates.utcnow(),
            baseline=False,
        )
    cache = SnapshotCache(store, recheck=60.0)
    assert cache.warm() == 1
    warmed = cache.fresh(app.tenant_id, app.id)
    assert warmed is not None and warmed.app.app_id == app.id
    assert cache.fresh(bare.tenant_id, bare.id) is None  # nothing published: nothing to deliver yet
    assert cache.warm() == 0  # already built
