"""One conformance suite for the storage Protocol, run against SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, update

from storeflight.domain import ids
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import (
    ApiClient,
    Application,
    FileStatus,
    Flight,
    FlightGroup,
    Origin,
    Package,
    Submission,
)
from storeflight.domain.submissions import Identity, fresh
from storeflight.storage import tables as t
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import HEAD_REVISION, MIGRATIONS, current_revision, migrate
from storeflight.storage.protocol import StorageConflict
from storeflight.storage.sql import SqlStore, _submission_values
from storeflight.storage.tables import metadata
from tests.storage.conftest import upgrade_to

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def tenant_id() -> str:
    return str(uuid.uuid4())


def _app(tenant_id: str, offset: int = 0) -> Application:
    return Application(
        id=ids.new_store_id(),
        tenant_id=tenant_id,
        primary_name="A",
        identity_name="I",
        publisher="CN=P",
        family_name="I_x",
        created_at=NOW + timedelta(seconds=offset),
    )


def _group_and_flight(tenant_id: str, app_id: str, name: str) -> tuple[FlightGroup, Flight]:
    group = FlightGroup(id=ids.new_decimal_id(), tenant_id=tenant_id, name="g", created_at=NOW)
    flight = Flight(
        id=ids.new_flight_id(),
        tenant_id=tenant_id,
        app_id=app_id,
        friendly_name=name,
        group_ids=[group.id],
        rank=1,
        created_at=NOW,
    )
    return group, flight


def _submission(
    tenant_id: str,
    app_id: str,
    flight_id: str | None = None,
    status: Status = Status.PENDING_COMMIT,
    published_at: datetime | None = None,
) -> Submission:
    identity = Identity(
        id=ids.new_decimal_id(),
        tenant_id=tenant_id,
        app_id=app_id,
        flight_id=flight_id,
        origin=Origin.API,
        upload_blob_id="b",
        upload_expires_at=NOW,
        now=NOW,
    )
    return fresh(identity).model_copy(update={"status": status, "published_at": published_at})


def test_migrated_schema_matches_the_table_definitions(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrating_twice_is_harmless(store: SqlStore) -> None:
    migrate(store.engine)
    migrate(store.engine)


def test_set_setting_replaces_and_removes(store: SqlStore) -> None:
    key = f"test-{uuid.uuid4()}"
    with store.transaction(write=True) as tx:
        tx.set_setting(key, "one")
        tx.set_setting(key, "two")
    with store.transaction(write=True) as tx:
        assert tx.get_setting(key) == "two"
        tx.set_setting(key, None)
        assert tx.get_setting(key) is None


def test_put_setting_if_absent_keeps_the_first_value(store: SqlStore) -> None:
    key = f"k-{uuid.uuid4()}"
    with store.transaction(write=True) as tx:
        assert tx.put_setting_if_absent(key, "one") == "one"
        assert tx.put_setting_if_absent(key, "two") == "one"
    with store.transaction(write=False) as tx:
        assert tx.get_setting(key) == "one"


def test_clients_round_trip_and_filter_by_tenant(store: SqlStore, tenant_id: str) -> None:
    client = ApiClient(client_id=str(uuid.uuid4()), tenant_id=tenant_id, name="c", secret_hash="h", created_at=NOW)
    with store.transaction(write=True) as tx:
        tx.add_client(client)
        tx.save_client(client.model_copy(update={"revoked_at": NOW}))
    with store.transaction(write=False) as tx:
        assert tx.get_client(client.client_id) == client.model_copy(update={"revoked_at": NOW})
        assert [c.client_id for c in tx.list_clients(tenant_id)] == [client.client_id]
        assert tx.get_client("missing") is None


def test_apps_page_in_creation_order_per_tenant(store: SqlStore, tenant_id: str) -> None:
    apps = [_app(tenant_id, i) for i in range(5)]
    with store.transaction(write=True) as tx:
        for app in reversed(apps):
            tx.add_app(app)
        tx.add_app(_app(str(uuid.uuid4())))
    with store.transaction(write=False) as tx:
        page = tx.list_apps(tenant_id, skip=1, top=2)
        assert page.total == 5
        assert [a.id for a in page.items] == [apps[1].id, apps[2].id]
        assert tx.get_app(tenant_id, apps[0].id) == apps[0]
        assert tx.get_app(str(uuid.uuid4()), apps[0].id) is None


def test_groups_flights_and_the_unique_flight_name(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    group, flight = _group_and_flight(tenant_id, app.id, "beta")
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_group(group, ["a", "b", "a"])
        tx.add_flight(flight)
    with pytest.raises(StorageConflict), store.transaction(write=True) as tx:
        tx.add_flight(flight.model_copy(update={"id": ids.new_flight_id()}))
    with store.transaction(write=True) as tx:
        assert tx.get_flight(tenant_id, app.id, flight.id) == flight
        assert {g.id: n for g, n in tx.list_groups(tenant_id)} == {group.id: 2}
        assert tx.get_groups(tenant_id, [group.id, "nope"]) == [group]
        tx.set_flight_ranks({flight.id: 7})
        assert tx.list_flights(tenant_id, app.id)[0].rank == 7


def test_only_one_pending_submission_per_parent(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        first = _submission(tenant_id, app.id)
        tx.add_submission(first)
    with pytest.raises(StorageConflict), store.transaction(write=True) as tx:
        tx.add_submission(_submission(tenant_id, app.id))
    with store.transaction(write=True) as tx:
        assert tx.pending_submission(f"app:{app.id}") == first
        tx.save_submission(first.model_copy(update={"status": Status.PUBLISHED, "published_at": NOW}))
        tx.add_submission(_submission(tenant_id, app.id))
        assert tx.pending_submission(f"app:{app.id}") != first


def test_last_published_is_the_newest_published(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    old = _submission(tenant_id, app.id, status=Status.PUBLISHED, published_at=NOW)
    new = _submission(tenant_id, app.id, status=Status.PUBLISHED, published_at=NOW + timedelta(hours=1))
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_submission(new)
        tx.add_submission(old)
        assert tx.last_published(f"app:{app.id}") == new
        tx.delete_submission(new.id)
        assert tx.last_published(f"app:{app.id}") == old
        assert tx.get_submission(tenant_id, new.id) is None


def _with_packages(sub: Submission, *packages: tuple[str, str, list[str]]) -> Submission:
    made = [
        Package(
            file_name=f"{v}.msix", file_status=FileStatus.UPLOADED, version=v, architecture=arch, architectures=covers
        )
        for v, arch, covers in packages
    ]
    return sub.model_copy(update={"packages": made})


def test_line_highest_is_the_highest_published_version_per_architecture_of_the_line(
    store: SqlStore, tenant_id: str
) -> None:
    app = _app(tenant_id)
    group, flight = _group_and_flight(tenant_id, app.id, "f")
    published = {"status": Status.PUBLISHED, "published_at": NOW}
    first = _with_packages(_submission(tenant_id, app.id, **published), ("1.10.0.0", "X64", []))
    bundle = _with_packages(
        _submission(tenant_id, app.id, **published), ("1.9.0.0", "neutral", ["x64", "arm64"]), ("0.5.0.0", "x86", [])
    )
    pending = _with_packages(_submission(tenant_id, app.id), ("9.0.0.0", "x64", []))
    flighted = _with_packages(_submission(tenant_id, app.id, flight_id=flight.id, **published), ("5.0.0.0", "x64", []))
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_group(group, [])
        tx.add_flight(flight)
        for sub in (first, bundle, pending, flighted):
            tx.add_submission(sub)
        assert tx.line_highest(f"app:{app.id}") == {"x64": "1.10.0.0", "arm64": "1.9.0.0", "x86": "0.5.0.0"}
        assert tx.line_highest(f"flight:{flight.id}") == {"x64": "5.0.0.0"}
        assert tx.line_highest("app:nothing") == {}
        # published later (saved by the pipeline), and saved again (a rollout change): counted once
        later = pending.model_copy(update={"status": Status.PUBLISHED, "published_at": NOW + timedelta(hours=1)})
        tx.save_submission(later)
        tx.save_submission(later)
    with store.transaction(write=False) as tx:
        assert tx.line_highest(f"app:{app.id}") == {"x64": "9.0.0.0", "arm64": "1.9.0.0", "x86": "0.5.0.0"}


def test_a_published_version_stays_in_the_line_after_its_submission_is_deleted(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    sub = _with_packages(
        _submission(tenant_id, app.id, status=Status.PUBLISHED, published_at=NOW), ("3.0.0.0", "arm64", [])
    )
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_submission(sub)
        tx.delete_submission(sub.id)
        assert tx.line_highest(f"app:{app.id}") == {"arm64": "3.0.0.0"}


def test_deleting_a_flight_removes_its_submissions(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    group, flight = _group_and_flight(tenant_id, app.id, "f")
    sub = _submission(tenant_id, app.id, flight.id)
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_group(group, [])
        tx.add_flight(flight)
        tx.add_submission(sub)
        tx.delete_flight(flight.id)
        assert tx.get_flight(tenant_id, app.id, flight.id) is None
        assert tx.get_submission(tenant_id, sub.id) is None


def test_deleting_an_app_removes_its_flights_submissions_and_history_and_nothing_else(
    store: SqlStore, tenant_id: str
) -> None:
    app, other = _app(tenant_id), _app(tenant_id, 1)
    group, flight = _group_and_flight(tenant_id, app.id, "f")
    published = _submission(tenant_id, app.id, flight.id, Status.PUBLISHED, NOW)
    published = published.model_copy(
        update={
            "packages": [
                Package(
                    file_name="a.msix", file_status=FileStatus.UPLOADED, id="p1", version="1.0.0.0", architecture="x64"
                )
            ]
        }
    )
    kept = _submission(tenant_id, other.id)
    with store.transaction(write=True) as tx:
        for item in (app, other):
            tx.add_app(item)
        tx.add_group(group, ["a@example.com"])
        tx.add_flight(flight)
        tx.add_submission(published)
        tx.add_submission(_submission(tenant_id, app.id))
        tx.add_submission(kept)
        tx.add_event(published.id, NOW, None, "Published", "test")
    with store.transaction(write=True) as tx:
        tx.delete_app(app.id)
    with store.transaction(write=False) as tx:
        assert tx.get_app(tenant_id, app.id) is None and tx.get_flight(tenant_id, app.id, flight.id) is None
        assert tx.get_submission(tenant_id, published.id) is None and tx.line_highest(f"flight:{flight.id}") == {}
        assert tx.get_app(tenant_id, other.id) is not None and tx.get_submission(tenant_id, kept.id) is not None
        assert tx.get_group(tenant_id, group.id) is not None  # groups belong to the tenant, not the app


def test_clients_can_be_deleted_and_apps_renamed(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    client = ApiClient(client_id=str(uuid.uuid4()), tenant_id=tenant_id, name="c", secret_hash="h", created_at=NOW)
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_client(client)
    with store.transaction(write=True) as tx:
        assert tx.delete_client(client.client_id) is True and tx.delete_client(client.client_id) is False
        tx.save_app(app.model_copy(update={"primary_name": "Renamed"}))
    with store.transaction(write=False) as tx:
        assert tx.get_client(client.client_id) is None
        found = tx.get_app(tenant_id, app.id)
        assert found is not None and found.primary_name == "Renamed" and found.identity_name == app.identity_name


def test_a_failed_transaction_leaves_nothing_behind(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        tx.add_app(app)
        raise RuntimeError("boom")
    with store.transaction(write=False) as tx:
        assert tx.get_app(tenant_id, app.id) is None


def test_head_revision_constant_matches_the_migration_scripts(store: SqlStore) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    assert current_revision(store.engine) == HEAD_REVISION


def test_blob_garbage_is_recorded_with_its_transaction_and_forgotten_on_request(store: SqlStore) -> None:
    kept, rolled_back = f"up-{uuid.uuid4().hex}", f"up-{uuid.uuid4().hex}"
    with store.transaction(write=True) as tx:
        tx.discard_blob(kept, NOW)
        tx.discard_blob(kept, NOW + timedelta(seconds=1))  # twice is fine
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        tx.discard_blob(rolled_back, NOW)
        raise RuntimeError("boom")
    with store.transaction(write=False) as tx:
        recorded = tx.blob_garbage(100_000)
    assert kept in recorded and rolled_back not in recorded
    assert recorded.count(kept) == 1
    with store.transaction(write=True) as tx:
        tx.forget_blobs([kept])
        tx.forget_blobs([])
    with store.transaction(write=False) as tx:
        assert kept not in tx.blob_garbage(100_000)


def test_published_apps_lists_apps_with_a_published_submission_once(store: SqlStore, tenant_id: str) -> None:
    published, pending = _app(tenant_id), _app(tenant_id, 1)
    with store.transaction(write=True) as tx:
        tx.add_app(published)
        tx.add_app(pending)
        tx.add_submission(_submission(tenant_id, published.id, status=Status.PUBLISHED, published_at=NOW))
        tx.add_submission(
            _submission(tenant_id, published.id, status=Status.PUBLISHED, published_at=NOW + timedelta(seconds=1))
        )
        tx.add_submission(_submission(tenant_id, pending.id))
    with store.transaction(write=False) as tx:
        listed = [entry for entry in tx.published_apps() if entry[0] == tenant_id]
    assert listed == [(tenant_id, published.id)]


def test_an_upload_blob_names_its_tenant(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    blob = str(uuid.uuid4())
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_submission(_submission(tenant_id, app.id).model_copy(update={"upload_blob_id": blob}))
    with store.transaction(write=False) as tx:
        assert tx.upload_tenant(blob) == tenant_id
        assert tx.upload_tenant(str(uuid.uuid4())) is None


def test_the_upload_blob_migration_fills_the_column_for_existing_submissions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_to(engine, "0003")
    app = _app("t-old")
    submission = _submission("t-old", app.id).model_copy(update={"upload_blob_id": "blob-of-old"})
    with engine.begin() as conn:
        app_row = {"id": app.id, "tenant_id": "t-old", "doc": app.model_dump(mode="json"), "created_at": NOW}
        conn.execute(insert(t.applications).values(**app_row))
        old_columns = {k: v for k, v in _submission_values(submission).items() if k != "upload_blob_id"}
        conn.execute(insert(t.submissions).values(**old_columns, created_at=NOW))
    migrate(engine)
    with SqlStore(engine).transaction(write=False) as tx:
        assert tx.upload_tenant("blob-of-old") == "t-old"
    engine.dispose()


def test_the_published_versions_migration_counts_what_was_published_before_it(empty_database: str) -> None:
    engine = make_engine(empty_database)
    upgrade_to(engine, "0004")  # the schema before published_versions
    tenant = str(uuid.uuid4())
    app = _app(tenant)
    old = _with_packages(
        _submission(tenant, app.id, status=Status.PUBLISHED, published_at=NOW), ("2.0.0.0", "neutral", ["x64", "arm64"])
    )
    pending = _with_packages(_submission(tenant, app.id), ("7.0.0.0", "x64", []))
    with engine.begin() as conn:
        conn.execute(
            insert(t.applications).values(id=app.id, tenant_id=tenant, doc=app.model_dump(mode="json"), created_at=NOW)
        )
        for sub in (old, pending):
            conn.execute(insert(t.submissions).values(**_submission_values(sub), created_at=NOW))
    store = SqlStore(engine)
    migrate(engine)
    with store.transaction(write=False) as tx:
        assert tx.line_highest(f"app:{app.id}") == {"x64": "2.0.0.0", "arm64": "2.0.0.0"}
    store.close()


# Claims use their own clock, long before NOW, so no other test's due submission competes.
CLAIM_EPOCH = datetime(2001, 3, 1, tzinfo=UTC)


def _due(store: SqlStore, tenant_id: str, at: datetime | None, **lease: object) -> Submission:
    """A submission of a new app of `tenant_id`, due at `at` (with the lease fields given)."""
    app = _app(tenant_id)
    due = _submission(tenant_id, app.id, status=Status.COMMIT_STARTED).model_copy(update={"next_run_at": at})
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_submission(due)
        if lease:
            tx.conn.execute(update(t.submissions).where(t.submissions.c.id == due.id).values(**lease))
    return due


def _claim(store: SqlStore, owner: str, now: datetime) -> str | None:
    with store.transaction(write=True) as tx:
        claimed = tx.claim_next(now=now, owner=owner, lease_until=now + timedelta(minutes=1))
    return claimed.id if claimed else None


def _forget(store: SqlStore, *submissions: Submission) -> None:
    with store.transaction(write=True) as tx:
        for submission in submissions:
            tx.delete_submission(submission.id)


def test_claim_next_prefers_a_tenant_with_no_stage_running(store: SqlStore, tenant_id: str) -> None:
    other = str(uuid.uuid4())
    first = _due(store, tenant_id, CLAIM_EPOCH)
    second = _due(store, tenant_id, CLAIM_EPOCH + timedelta(seconds=1))
    waiting = _due(store, other, CLAIM_EPOCH + timedelta(seconds=2))
    now = CLAIM_EPOCH + timedelta(seconds=10)
    try:
        assert _claim(store, "slot-1", now) == first.id  # the soonest due
        assert _claim(store, "slot-2", now) == waiting.id  # not the busy tenant's next one, though it is sooner
        assert _claim(store, "slot-3", now) == second.id  # nobody else waits: the busy tenant may go on
        assert _claim(store, "slot-4", now) is None
    finally:
        _forget(store, first, second, waiting)


def test_a_tenant_is_idle_again_once_its_stage_finishes_or_its_lease_expires(store: SqlStore, tenant_id: str) -> None:
    other = str(uuid.uuid4())
    now = CLAIM_EPOCH + timedelta(days=1, seconds=10)
    dead = _due(store, tenant_id, None, lease_owner="gone", lease_until=now - timedelta(seconds=1))
    mine = _due(store, tenant_id, now - timedelta(seconds=5))
    theirs = _due(store, other, now - timedelta(seconds=4))
    try:
        assert _claim(store, "slot-1", now) == mine.id  # an expired lease is no stage running
        with store.transaction(write=True) as tx:
            claimed = tx.get_submission(tenant_id, mine.id)
            assert claimed is not None
            assert tx.finish(claimed.model_copy(update={"next_run_at": now - timedelta(seconds=9)}), owner="slot-1")
        assert _claim(store, "slot-2", now) == mine.id  # finished: the tenant is idle again, and its run is sooner
        assert _claim(store, "slot-3", now) == theirs.id
    finally:
        _forget(store, dead, mine, theirs)


def test_delivery_versions_are_per_app(store: SqlStore, tenant_id: str) -> None:
    first, second, never = _app(tenant_id), _app(tenant_id, 1), _app(tenant_id, 2)
    with store.transaction(write=True) as tx:
        tx.add_app(first)
        tx.add_app(second)
        tx.bump_delivery_version(tenant_id, first.id)
        tx.bump_delivery_version(tenant_id, first.id, members=True)
        tx.bump_delivery_version(tenant_id, second.id)
    with store.transaction(write=False) as tx:
        versions = tx.delivery_versions([first.id, second.id, never.id])
    assert versions == {first.id: (2, 1), second.id: (1, 0), never.id: (0, 0)}


def test_a_group_change_bumps_only_the_apps_whose_flights_name_the_group(store: SqlStore, tenant_id: str) -> None:
    using, other = _app(tenant_id), _app(tenant_id, 1)
    group, flight = _group_and_flight(tenant_id, using.id, "f")
    with store.transaction(write=True) as tx:
        tx.add_app(using)
        tx.add_app(other)
        tx.add_group(group, [])
        tx.add_flight(flight)
        assert tx.bump_group_delivery(tenant_id, group.id) == [using.id]
        assert tx.bump_group_delivery("another-tenant", group.id) == []
    with store.transaction(write=False) as tx:
        assert tx.delivery_versions([using.id, other.id]) == {using.id: (1, 1), other.id: (0, 0)}


def test_the_blob_ledger_counts_uploads_and_packages_per_tenant_and_forgets_discarded_ones(
    store: SqlStore, tenant_id: str
) -> None:
    app = _app(tenant_id)
    sub = _submission(tenant_id, app.id).model_copy(update={"upload_blob_id": f"up-{uuid.uuid4()}"})
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_submission(sub)
        assert tx.blob_owner(sub.upload_blob_id) == (tenant_id, 0)  # claimed with the submission
        tx.record_blob(sub.upload_blob_id, tenant_id, 1_000, package=False)
        tx.record_blob(sub.upload_blob_id, tenant_id, 3_000, package=False)  # re-uploaded: resized
        tx.record_blob(f"pkg-{sub.id}-1", tenant_id, 500, package=True)
        tx.record_blob(f"pkg-{sub.id}-2", "another-tenant", 7_000, package=True)
    with store.transaction(write=False) as tx:
        assert tx.stored_usage(tenant_id) == (3_500, 1)
        assert tx.blob_owner(sub.upload_blob_id) == (tenant_id, 3_000)
    with store.transaction(write=True) as tx:
        tx.discard_blob(sub.upload_blob_id, NOW)
    with store.transaction(write=False) as tx:
        assert tx.stored_usage(tenant_id) == (500, 1)
        assert tx.blob_owner(sub.upload_blob_id) is None
        assert tx.stored_usage(str(uuid.uuid4())) == (0, 0)


def test_groups_flights_and_the_membership_count_are_per_tenant(store: SqlStore, tenant_id: str) -> None:
    app = _app(tenant_id)
    group, flight = _group_and_flight(tenant_id, app.id, "f")
    second = FlightGroup(id=ids.new_decimal_id(), tenant_id=tenant_id, name="h", created_at=NOW)
    with store.transaction(write=True) as tx:
        tx.add_app(app)
        tx.add_group(group, [])
        tx.add_group(second, [])
        tx.add_flight(flight)
        tx.add_tenant_members(tenant_id, 5)
        tx.add_tenant_members(tenant_id, -1)
    with store.transaction(write=False) as tx:
        assert (tx.count_groups(tenant_id), tx.count_tenant_members(tenant_id), tx.count_flights(tenant_id)) == (
            2,
            4,
            1,
        )
        other = str(uuid.uuid4())
        assert (tx.count_groups(other), tx.count_tenant_members(other), tx.count_flights(other)) == (0, 0, 0)
