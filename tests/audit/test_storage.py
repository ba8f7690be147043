"""The audit chain's storage on both backends: appends, heads, reads, filters and the append-only rule."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storeflight.audit.model import GENESIS, Actor, ActorKind, AuditFilter, verify
from storeflight.audit.record import record
from storeflight.storage.sql import SqlStore

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CLIENT = Actor(ActorKind.CLIENT, "client-1", "build bot")


def append(store: SqlStore, tenant: str, n: int, *, resource: str = "f1", actor: Actor = CLIENT) -> None:
    with store.transaction(write=True) as tx:
        record(
            tx,
            tenant_id=tenant,
            actor=actor,
            action="flight.update",
            resource_type="flight",
            resource_id=resource,
            before={"friendlyName": f"n{n}"},
            after={"friendlyName": f"n{n + 1}", "ratio": 0.1 * n, "text": "héllo"},
            correlation_id=str(uuid.uuid4()),
            at=T0 + timedelta(minutes=n),
        )


def chain_of(store: SqlStore, tenant: str) -> list:  # type: ignore[type-arg]
    with store.transaction(write=False) as tx:
        return tx.audit_after(tenant, 0, 1000)


def test_appends_make_a_chain_that_verifies(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    for n in range(4):
        append(store, tenant, n)
    records = chain_of(store, tenant)
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[0].prev_hash == GENESIS
    assert records[0].entry.actor == CLIENT
    assert records[2].entry.after == {"friendlyName": "n3", "ratio": 0.1 * 2, "text": "héllo"}
    with store.transaction(write=False) as tx:
        head = next((seq, h) for t, seq, h in tx.audit_heads() if t == tenant)
    assert verify(tenant, records, head) == (4, None)


def test_tenants_have_chains_of_their_own(store: SqlStore) -> None:
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    append(store, one, 0)
    append(store, two, 0)
    append(store, one, 1)
    assert [r.seq for r in chain_of(store, one)] == [1, 2]
    assert [r.seq for r in chain_of(store, two)] == [1]
    with store.transaction(write=False) as tx:
        assert tx.list_audit(two, AuditFilter(), skip=0, top=10).total == 1


def test_a_rolled_back_change_leaves_no_record(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    append(store, tenant, 0)
    with pytest.raises(RuntimeError), store.transaction(write=True) as tx:
        record(
            tx,
            tenant_id=tenant,
            actor=CLIENT,
            action="x",
            resource_type="flight",
            resource_id="f",
            before=None,
            after=None,
        )
        raise RuntimeError("the change failed")
    append(store, tenant, 1)
    assert [r.seq for r in chain_of(store, tenant)] == [1, 2]


def test_filters_and_pages_newest_first(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    admin = Actor(ActorKind.ADMIN, "admin")
    for n in range(6):
        append(store, tenant, n, resource=f"f{n % 2}", actor=admin if n == 5 else CLIENT)
    with store.transaction(write=False) as tx:
        page = tx.list_audit(tenant, AuditFilter(resource_type="flight", resource_id="f0"), skip=0, top=2)
        assert page.total == 3
        assert [r.seq for r in page.items] == [5, 3]
        assert [r.seq for r in tx.list_audit(tenant, AuditFilter(actor_id="admin"), skip=0, top=9).items] == [6]
        kind = AuditFilter(actor_kind=ActorKind.CLIENT)
        assert tx.list_audit(tenant, kind, skip=0, top=9).total == 5
        window = AuditFilter(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4))
        assert [r.seq for r in tx.list_audit(tenant, window, skip=0, top=9).items] == [4, 3]
        assert tx.has_audit(tenant, "flight", "f1")
        assert not tx.has_audit(tenant, "group", "f1")
        assert not tx.has_audit(str(uuid.uuid4()), None, "f1")


def test_switched_off_records_nothing(database_url: str) -> None:
    from tests.support import open_store  # noqa: PLC0415

    quiet = open_store(database_url)
    quiet.audit = False
    tenant = str(uuid.uuid4())
    try:
        append(quiet, tenant, 0)
        assert chain_of(quiet, tenant) == []
    finally:
        quiet.close()


@pytest.mark.parametrize("statement", ["UPDATE audit_records SET reason = 'x'", "DELETE FROM audit_records"])
def test_records_refuse_update_and_delete(store: SqlStore, statement: str) -> None:
    tenant = str(uuid.uuid4())
    append(store, tenant, 0)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(f"{statement} WHERE tenant_id = :t"), {"t": tenant})
    assert len(chain_of(store, tenant)) == 1


def test_concurrent_appenders_of_one_tenant_keep_one_chain(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    errors: list[BaseException] = []

    def work(start: int) -> None:
        try:
            for n in range(start, start + 10):
                append(store, tenant, n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i * 10,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    records = chain_of(store, tenant)
    assert verify(tenant, records) == (40, None)
