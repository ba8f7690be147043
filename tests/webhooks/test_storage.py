"""Webhook storage on both backends: subscriptions, the outbox filled with an audited change, leases, the log."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from storeflight.audit.model import Actor, ActorKind
from storeflight.audit.record import record
from storeflight.services import admin
from storeflight.storage import tables as t
from storeflight.storage.sql import SqlStore
from storeflight.webhooks import sealing
from storeflight.webhooks.model import Attempt, DeliveryStatus, Event, EventType, Subscription

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def subscribe(store: SqlStore, tenant: str, types: tuple[EventType, ...] = (), app: str | None = None) -> str:
    sub = Subscription(uuid.uuid4().hex[:20], tenant, app, "http://127.0.0.1:9/x", types, True, T0, "c")
    with store.transaction(write=True) as tx:
        tx.add_webhook(sub, sealing.seal(sealing.server_key(tx), sub.id, "whsec_test"))
    return sub.id


def halt(store: SqlStore, tenant: str, *, at: datetime = T0) -> None:
    with store.transaction(write=True) as tx:
        record(
            tx,
            tenant_id=tenant,
            actor=Actor(ActorKind.CLIENT, "c"),
            action="rollout.halt",
            resource_type="submission",
            resource_id="no-such-submission",
            before={"packageRolloutStatus": "PackageRolloutInProgress"},
            after={"packageRolloutStatus": "PackageRolloutStopped"},
            at=at,
        )


def test_an_audited_change_fills_the_outbox_for_the_subscriptions_that_want_it(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    halts, plans, other_app = (
        subscribe(store, tenant, (EventType.ROLLOUT_HALTED,)),
        subscribe(store, tenant, (EventType.PLAN_PAUSED,)),
        subscribe(store, tenant, app="9OTHERAPP000"),
    )
    subscribe(store, str(uuid.uuid4()))  # another tenant's
    halt(store, tenant)
    with store.transaction(write=False) as tx:
        [delivery] = tx.webhook_deliveries(halts, skip=0, top=10).items
        assert tx.webhook_deliveries(plans, skip=0, top=10).total == 0
        assert tx.webhook_deliveries(other_app, skip=0, top=10).total == 0  # the subject's app is not it
    assert delivery.event.type == EventType.ROLLOUT_HALTED and delivery.status == DeliveryStatus.PENDING
    assert delivery.event.data["after"] == {"packageRolloutStatus": "PackageRolloutStopped"}


def test_a_claim_leases_one_delivery_per_subscription_and_an_attempt_releases_it(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    sub = subscribe(store, tenant)
    halt(store, tenant, at=T0)
    halt(store, tenant, at=T0 + timedelta(seconds=1))
    now = T0 + timedelta(minutes=1)
    with store.transaction(write=True) as tx:
        claimed = tx.claim_webhook_deliveries(now=now, owner="w1", lease_until=now + timedelta(minutes=1), limit=5)
        mine = [c for c in claimed if c.delivery.subscription_id == sub]
        assert len(mine) == 1 and mine[0].delivery.event.occurred_at == T0  # the oldest first
        assert sealing.unseal(sealing.server_key(tx), sub, mine[0].sealed_secret) == "whsec_test"
    with store.transaction(write=True) as tx:  # the other one waits while the first is in flight
        again = tx.claim_webhook_deliveries(now=now, owner="w2", lease_until=now + timedelta(minutes=1), limit=5)
        assert [c for c in again if c.delivery.subscription_id == sub] == []
    first = mine[0].delivery
    failed = Attempt(1, now, 500, "the receiver answered 500", 12)
    with store.transaction(write=True) as tx:
        retry_at = now + timedelta(minutes=1)
        assert not tx.finish_webhook_attempt(
            first.id, owner="w2", attempt=failed, status=DeliveryStatus.PENDING, next_at=retry_at
        )
        assert tx.finish_webhook_attempt(
            first.id, owner="w1", attempt=failed, status=DeliveryStatus.PENDING, next_at=retry_at
        )
    with store.transaction(write=True) as tx:
        second = tx.claim_webhook_deliveries(now=now, owner="w3", lease_until=now + timedelta(minutes=1), limit=5)
        [next_one] = [c for c in second if c.delivery.subscription_id == sub]
        assert next_one.delivery.id != first.id  # the failed one is not due yet
        page = tx.webhook_deliveries(sub, skip=0, top=10)
    [logged] = [d for d in page.items if d.id == first.id]
    assert (logged.attempts, logged.last_status_code, logged.next_attempt_at) == (1, 500, retry_at)
    assert [(a.number, a.status_code, a.duration_ms) for a in logged.log] == [(1, 500, 12)]


def test_deleting_a_subscription_forgets_its_deliveries_and_their_events(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    sub = subscribe(store, tenant)
    halt(store, tenant)
    with store.transaction(write=True) as tx:
        assert tx.get_webhook(tenant, sub) is not None and tx.get_webhook("someone-else", sub) is None
        tx.delete_webhook(sub)
    with store.transaction(write=False) as tx:
        assert tx.get_webhook(tenant, sub) is None
        assert tx.webhook_deliveries(sub, skip=0, top=10).total == 0
        assert tx.conn.execute(t.webhook_events.select().where(t.webhook_events.c.tenant_id == tenant)).first() is None


def test_without_subscriptions_nothing_is_written(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    halt(store, tenant)
    sub = subscribe(store, tenant)  # subscribed after the change: it is not sent
    with store.transaction(write=False) as tx:
        assert tx.webhook_deliveries(sub, skip=0, top=10).total == 0


def test_a_disabled_subscriptions_deliveries_wait_except_its_ping(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    sub = subscribe(store, tenant)
    halt(store, tenant)
    with store.transaction(write=True) as tx:
        tx.set_webhook_enabled(sub, False)
        [off] = [s for s in tx.webhook_subscriptions(tenant) if s.id == sub]
        assert not off.enabled and not off.wants(EventType.ROLLOUT_HALTED, None)
        ping = Event(str(uuid.uuid4()), tenant, None, EventType.PING, T0 + timedelta(seconds=5), {})
        tx.add_webhook_event(ping, [sub])

    def claim(owner: str, minutes: int) -> list[EventType]:
        now = T0 + timedelta(minutes=minutes)
        with store.transaction(write=True) as tx:
            found = tx.claim_webhook_deliveries(now=now, owner=owner, lease_until=now, limit=10)
        return [c.delivery.event.type for c in found if c.delivery.subscription_id == sub]

    assert claim("w1", 1) == [EventType.PING]  # leased until minute 1 only
    with store.transaction(write=True) as tx:
        tx.set_webhook_enabled(sub, True)
    assert claim("w2", 2) == [EventType.ROLLOUT_HALTED]


def test_deleting_an_app_forgets_the_subscriptions_limited_to_it(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    with store.transaction(write=True) as tx:
        app = admin.create_app(tx, tenant_id=tenant, name="W", identity_name="W.Gone", publisher="CN=W", now=T0)
    limited, everything = subscribe(store, tenant, app=app.id), subscribe(store, tenant)
    with store.transaction(write=True) as tx:
        tx.delete_app(app.id)
    with store.transaction(write=False) as tx:
        assert [s.id for s in tx.webhook_subscriptions(tenant)] == [everything]
        assert tx.get_webhook(tenant, limited) is None


def test_old_delivered_and_dead_deliveries_are_pruned_with_their_events(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    sub = subscribe(store, tenant)
    for minute in (0, 1, 2):
        halt(store, tenant, at=T0 + timedelta(minutes=minute))
    with store.transaction(write=False) as tx:
        first, second, third = sorted(tx.webhook_deliveries(sub, skip=0, top=10).items, key=lambda d: d.created_at)
    outcomes = {first.id: DeliveryStatus.DELIVERED, second.id: DeliveryStatus.DEAD}
    for delivery_id, status in outcomes.items():
        with store.transaction(write=True) as tx:
            now = T0 + timedelta(hours=1)
            # A high limit: the database is shared with other tests, whose older deliveries are due too.
            tx.claim_webhook_deliveries(now=now, owner="w", lease_until=now + timedelta(minutes=1), limit=10_000)
            tx.finish_webhook_attempt(
                delivery_id, owner="w", attempt=Attempt(1, now, 200, None, 1), status=status, next_at=None
            )
    with store.transaction(write=True) as tx:
        assert tx.prune_webhook_deliveries(T0 + timedelta(days=30), 10_000) >= 2  # others' old ones too
    with store.transaction(write=False) as tx:
        left = tx.webhook_deliveries(sub, skip=0, top=10).items
        assert [d.id for d in left] == [third.id]  # the pending one stays, however old
        gone = tx.conn.execute(t.webhook_events.select().where(t.webhook_events.c.id == first.event.id)).first()
    assert gone is None


def test_concurrent_claims_never_lease_one_delivery_twice(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    subs = {subscribe(store, tenant) for _ in range(12)}
    for minute in range(3):
        halt(store, tenant, at=T0 + timedelta(minutes=minute))  # 3 deliveries for each of the 12
    now, barrier = T0 + timedelta(hours=2), threading.Barrier(3)
    claimed: dict[str, list[tuple[str, str]]] = {}

    def claim(owner: str) -> None:
        barrier.wait()
        for _ in range(5):
            with store.transaction(write=True) as tx:
                found = tx.claim_webhook_deliveries(now=now, owner=owner, lease_until=now + timedelta(hours=1), limit=4)
            for c in found:
                claimed.setdefault(c.delivery.id, []).append((owner, c.delivery.subscription_id))

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine = {k: v for k, v in claimed.items() if v[0][1] in subs}
    assert all(len(owners) == 1 for owners in mine.values())  # no delivery leased by two workers
    per_subscription = [sub for owners in mine.values() for _, sub in owners]
    assert len(mine) == 12 and sorted(per_subscription) == sorted(subs)  # one in flight per subscription
