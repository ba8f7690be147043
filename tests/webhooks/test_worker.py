"""The delivery worker against real receivers on 127.0.0.1 (both backends): a slow receiver does not hold up
another, a timeout is a failed attempt, and retries end in a dead delivery."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from storeflight.domain import dates
from storeflight.storage import tables as t
from storeflight.storage.sql import SqlStore
from storeflight.webhooks.model import DeliveryStatus, EventType
from storeflight.webhooks.signing import Backoff
from storeflight.webhooks.worker import WebhookWorker, WebhookWorkerSettings
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_storage import halt, subscribe

FAST_RETRY = Backoff(attempts=3, first=timedelta(milliseconds=50), factor=1, jitter=0)


def _statuses(store: SqlStore, sub: str) -> list[tuple[DeliveryStatus, int, str | None]]:
    with store.transaction(write=False) as tx:
        page = tx.webhook_deliveries(sub, skip=0, top=10)
    return [(d.status, d.attempts, d.last_error) for d in page.items]


def _point(store: SqlStore, sub: str, url: str) -> None:
    """Send the subscription's deliveries to `url` (a receiver's port is known only once it listens)."""
    with store.transaction(write=True) as tx:
        tx.conn.execute(t.webhook_subscriptions.update().where(t.webhook_subscriptions.c.id == sub).values(url=url))


def test_a_slow_receiver_does_not_hold_up_another(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    slow_sub, fast_sub = subscribe(store, tenant), subscribe(store, tenant)
    settings = WebhookWorkerSettings(read_timeout=4.0, idle=0.05, backoff=FAST_RETRY)
    with Receiver(delay=2.0) as slow, Receiver() as fast:
        _point(store, slow_sub, slow.url)
        _point(store, fast_sub, fast.url)
        worker = WebhookWorker(store, settings).start()
        try:
            for _ in range(3):
                halt(store, tenant)
                worker.wake.set()
            fast.wait_for(3, timeout=10)
            answered_slowly = len(slow.received)  # a request counts once it is answered (after 2 s)
            slow.wait_for(1, timeout=10)
        finally:
            worker.stop()
    assert answered_slowly == 0  # all three reached the fast receiver while the slow one sat on its first


def test_an_answer_slower_than_the_timeout_is_a_failed_attempt_and_retries_end_dead(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    sub = subscribe(store, tenant, (EventType.ROLLOUT_HALTED,))
    settings = WebhookWorkerSettings(read_timeout=0.3, deadline=1.0, idle=0.05, backoff=FAST_RETRY)
    with Receiver(delay=1.0) as slow:
        _point(store, sub, slow.url)
        halt(store, tenant)
        worker = WebhookWorker(store, settings)
        try:
            for _ in range(40):
                if _statuses(store, sub)[0][0] == DeliveryStatus.DEAD:
                    break
                worker.run_once()
                time.sleep(0.06)
        finally:
            worker.stop()
    [(status, attempts, error)] = _statuses(store, sub)
    assert (status, attempts) == (DeliveryStatus.DEAD, 3)
    assert error is not None and "Timeout" in error
    with store.transaction(write=True) as tx:  # dead: never claimed again
        now = dates.utcnow()
        claimed = tx.claim_webhook_deliveries(now=now, owner="late", lease_until=now + timedelta(minutes=1), limit=10)
    assert [c for c in claimed if c.delivery.subscription_id == sub] == []


def test_a_refused_connection_is_retried_then_delivered(store: SqlStore) -> None:
    tenant = str(uuid.uuid4())
    sub = subscribe(store, tenant)  # its URL is http://127.0.0.1:9/x: nothing listens
    halt(store, tenant)
    worker = WebhookWorker(store, WebhookWorkerSettings(connect_timeout=1.0, backoff=FAST_RETRY))
    try:
        worker.run_once()
        [(status, attempts, error)] = _statuses(store, sub)
        assert (status, attempts) == (DeliveryStatus.PENDING, 1) and error is not None and "Connect" in error
        with Receiver() as receiver:
            _point(store, sub, receiver.url)
            time.sleep(0.06)
            worker.run_once()
            [got] = receiver.wait_for(1)
    finally:
        worker.stop()
    assert got.headers["storeflight-delivery-attempt"] == "2"
    assert _statuses(store, sub) == [(DeliveryStatus.DELIVERED, 2, None)]
