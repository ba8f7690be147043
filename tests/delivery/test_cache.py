"""The per-process snapshot cache against a real store: built once, answered without the database, refreshed
in the background when the app's delivery versions move, never lost to a failed refresh, and never rebuilt for
another tenant's (or app's) change (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from storeflight.delivery.cache import SnapshotCache
from storeflight.delivery.snapshot import Snapshot
from storeflight.domain import dates
from storeflight.domain.models import Application
from storeflight.services import admin, groups
from storeflight.services.context import Caller, Context
from storeflight.storage.sql import SqlStore
from tests.support import open_store

TENANT = "00000000-0000-0000-0000-00000000abcd"


def _store_with_app(tmp_path: Path) -> tuple[SqlStore, Application]:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    return store, _new_app(store, TENANT)


def _new_app(store: SqlStore, tenant_id: str) -> Application:
    with store.transaction(write=True) as tx:
        return admin.create_app(
            tx, tenant_id=tenant_id, name="Snap", identity_name="Test.Snap", publisher="CN=Test", now=dates.utcnow()
        )


def _first(store: SqlStore, cache: SnapshotCache, app: Application, loads: list[str]) -> Snapshot:
    def load() -> Application:
        loads.append(app.id)
        return app

    with store.transaction(write=False) as tx:
        return cache.get(tx, app.tenant_id, app.id, load)


def _bump(store: SqlStore, app: Application, *, members: bool = False) -> None:
    with store.transaction(write=True) as tx:
        tx.bump_delivery_version(app.tenant_id, app.id, members=members)


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
    _bump(store, app)
    assert cache.fresh(app.tenant_id, app.id) is first  # the old one answers until a refresh
    cache.refresh()
    second = cache.fresh(app.tenant_id, app.id)
    assert second is not None and second is not first
    assert second.versions[0] > first.versions[0] and second.groups_of is first.groups_of
    _bump(store, app, members=True)
    cache.refresh()
    third = cache.fresh(app.tenant_id, app.id)
    assert third is not None and third.versions[1] > second.versions[1]
    assert third.groups_of is not second.groups_of


def test_a_busy_process_answers_from_the_current_snapshot_while_it_refreshes(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache = SnapshotCache(store, recheck=2.0)
    first = _first(store, cache, app, [])
    _bump(store, app)
    time.sleep(2.3)  # the check is due, but not overdue (within 2 x recheck)
    assert cache.fresh(app.tenant_id, app.id) is first  # answered at once; a refresh starts in the background
    _wait_for(lambda: cache.fresh(app.tenant_id, app.id) is not first)
    now = cache.fresh(app.tenant_id, app.id)
    assert now is not None and now.versions[0] > first.versions[0]


def test_a_quiet_process_checks_before_answering(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache, loads = SnapshotCache(store, recheck=0.05), []
    first = _first(store, cache, app, loads)
    _bump(store, app)
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
        tx.conn.execute(text("DROP TABLE delivery_versions"))
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


def _flighted_app(store: SqlStore, tenant_id: str) -> tuple[Application, str]:
    """An app with one flight whose group has a member; the group's id."""
    from storeflight.services import flights  # noqa: PLC0415 - only these tests build flights

    app = _new_app(store, tenant_id)
    ctx = Context(Caller(tenant_id, "test"))
    with store.transaction(write=True) as tx:
        group = groups.create(tx, ctx, "testers", ["someone@example.com"]).group
        flights.create(tx, ctx, app.id, flights.NewFlight("beta", [group.id], None))
    return app, group.id


def test_a_change_in_one_tenant_never_rebuilds_another_tenants_snapshot(store: SqlStore) -> None:
    noisy, noisy_group = _flighted_app(store, str(uuid.uuid4()))
    quiet, _ = _flighted_app(store, str(uuid.uuid4()))
    cache = SnapshotCache(store, recheck=60.0)
    _first(store, cache, noisy, [])
    quiet_first = _first(store, cache, quiet, [])
    assert "someone@example.com" in quiet_first.groups_of
    ctx = Context(Caller(noisy.tenant_id, "test"))
    for round_ in range(3):
        with store.transaction(write=True) as tx:
            groups.change_members(tx, ctx, noisy_group, [f"new-{round_}@example.com"], [])
        cache.refresh()
    rebuilt = cache.fresh(noisy.tenant_id, noisy.id)
    assert rebuilt is not None and "new-2@example.com" in rebuilt.groups_of
    assert cache.index_builds[noisy.id] == 4  # the first build and one per change
    assert cache.fresh(quiet.tenant_id, quiet.id) is quiet_first
    assert cache.builds[quiet.id] == 1 and cache.index_builds[quiet.id] == 1


def test_a_group_change_bumps_every_app_of_the_tenant_that_uses_the_group_and_no_other(store: SqlStore) -> None:
    tenant_id = str(uuid.uuid4())
    first, group_id = _flighted_app(store, tenant_id)
    second = _new_app(store, tenant_id)
    unrelated = _new_app(store, tenant_id)
    from storeflight.services import flights  # noqa: PLC0415

    ctx = Context(Caller(tenant_id, "test"))
    with store.transaction(write=True) as tx:
        flights.create(tx, ctx, second.id, flights.NewFlight("beta", [group_id], None))
    cache = SnapshotCache(store, recheck=60.0)
    snapshots = {app.id: _first(store, cache, app, []) for app in (first, second, unrelated)}
    with store.transaction(write=True) as tx:
        groups.change_members(tx, ctx, group_id, ["late@example.com"], [])
    cache.refresh()
    for app in (first, second):
        now = cache.fresh(tenant_id, app.id)
        assert now is not None and now.groups("late@example.com") == (group_id,)
        assert cache.index_builds[app.id] == 2
    assert cache.fresh(tenant_id, unrelated.id) is snapshots[unrelated.id]


def test_an_app_with_a_snapshot_never_waits_behind_a_build_under_way(tmp_path: Path) -> None:
    store, app = _store_with_app(tmp_path)
    cache, loads = SnapshotCache(store, recheck=0.0), []
    first = _first(store, cache, app, loads)
    _bump(store, app)
    with cache._build_lock:  # another app's build (or a refresh) is running
        assert _first(store, cache, app, loads) is first  # answered at once, not after the build
    now = _first(store, cache, app, loads)  # the build is over: checked, and rebuilt
    assert now is not first and now.versions[0] > first.versions[0] and loads == [app.id]
