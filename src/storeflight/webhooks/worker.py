"""The delivery worker: leases due deliveries, POSTs them signed, and logs each attempt with its retry.

A claim is a lease (rows picked with SKIP LOCKED on PostgreSQL; SQLite has one writer), at most one delivery
per subscription at a time, so a slow receiver holds one slot and its events go out in order (best effort).
Attempts run in a bounded thread pool, each with connect/read timeouts, an overall deadline and a bounded
read of the answer. A worker killed mid-attempt leaves its lease to run out: the attempt is made again, with
the same event id, which is what receivers deduplicate on."""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from cryptography.exceptions import InvalidTag

from storeflight.domain import dates
from storeflight.storage.protocol import Store
from storeflight.webhooks import sealing, signing
from storeflight.webhooks.model import Attempt, Claimed, DeliveryStatus
from storeflight.webhooks.signing import Backoff

log = logging.getLogger("storeflight.webhooks")


@dataclass(frozen=True)
class WebhookWorkerSettings:
    concurrency: int = 8  # attempts in flight at once (each to a different subscription)
    lease: timedelta = timedelta(seconds=60)  # longer than any attempt can take
    connect_timeout: float = 5.0
    read_timeout: float = 5.0
    deadline: float = 15.0  # seconds one attempt may take in all
    max_answer: int = 16 * 1024  # bytes of a receiver's answer read at most
    idle: float = 1.0  # seconds to sleep when nothing is due
    backoff: Backoff = field(default_factory=Backoff)
    keep: timedelta = timedelta(days=30)  # delivered and dead deliveries are forgotten after this long
    prune_every: float = 3600.0  # seconds between two prunings of the delivery log


class WebhookWorker:
    def __init__(
        self,
        store: Store,
        settings: WebhookWorkerSettings | None = None,
        name: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store, self.settings = store, settings or WebhookWorkerSettings()
        self.owner = name or f"webhooks-{uuid.uuid4().hex[:12]}"
        s = self.settings
        timeout = httpx.Timeout(s.read_timeout, connect=s.connect_timeout)
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, transport=transport)
        self.pool = ThreadPoolExecutor(max_workers=s.concurrency, thread_name_prefix="storeflight-webhook")
        self.in_flight = 0
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run_forever, name="storeflight-webhooks", daemon=True)
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            with self.store.transaction(write=True) as tx:
                self._key = sealing.server_key(tx)
        return self._key

    def claim(self, limit: int, now: datetime | None = None) -> list[Claimed]:
        now = now or dates.utcnow()
        with self.store.transaction(write=True) as tx:
            return tx.claim_webhook_deliveries(
                now=now, owner=self.owner, lease_until=now + self.settings.lease, limit=limit
            )

    def run_once(self, now: datetime | None = None) -> int:
        """Attempt every due delivery (one per subscription) here and now; how many were attempted."""
        claimed = self.claim(self.settings.concurrency, now)
        for one in claimed:
            self.deliver(one)
        return len(claimed)

    def deliver(self, claimed: Claimed) -> Attempt:
        """One attempt of a leased delivery, logged with its outcome (delivered, retried later, or dead)."""
        number = claimed.delivery.attempts + 1
        started, at = time.monotonic(), dates.utcnow()
        code: int | None = None
        error: str | None = "the subscription's signing secret cannot be opened with this server's key"
        try:
            secret = sealing.unseal(self.key(), claimed.delivery.subscription_id, claimed.sealed_secret)
        except (InvalidTag, ValueError):
            pass
        else:
            code, error = self._post(claimed, secret, number)
        attempt = Attempt(number, at, code, error, int((time.monotonic() - started) * 1000))
        self._finish(claimed, attempt)
        return attempt

    def _post(self, claimed: Claimed, secret: str, number: int) -> tuple[int | None, str | None]:
        event = claimed.delivery.event
        content = signing.body(event)
        headers = signing.headers(event, secret, int(time.time()), content, number)
        deadline = time.monotonic() + self.settings.deadline
        try:
            with self.client.stream("POST", claimed.url, content=content, headers=headers) as answer:
                read = 0
                for chunk in answer.iter_raw():
                    read += len(chunk)
                    if read > self.settings.max_answer or time.monotonic() > deadline:
                        break  # the answer's status is all that counts; the rest is not read
                code = answer.status_code
        except httpx.HTTPError as failure:
            return None, f"{type(failure).__name__}: {failure}"[:500]
        if 200 <= code < 300:
            return code, None
        return code, f"the receiver answered {code}"

    def _finish(self, claimed: Claimed, attempt: Attempt) -> None:
        status, next_at = DeliveryStatus.DELIVERED, None
        if attempt.error is not None:
            delay = self.settings.backoff.delay(attempt.number, random.random())
            status = DeliveryStatus.DEAD if delay is None else DeliveryStatus.PENDING
            next_at = None if delay is None else dates.utcnow() + delay
        with self.store.transaction(write=True) as tx:
            done = tx.finish_webhook_attempt(
                claimed.delivery.id, owner=self.owner, attempt=attempt, status=status, next_at=next_at
            )
        if not done:
            log.warning("lost the lease on webhook delivery %s; its attempt is not logged", claimed.delivery.id)
        elif status == DeliveryStatus.DEAD:
            log.warning("webhook delivery %s is dead after %d attempts", claimed.delivery.id, attempt.number)

    def _run(self, claimed: Claimed) -> None:
        try:
            self.deliver(claimed)
        except Exception:
            log.exception("a webhook attempt crashed; its lease will expire and it will be made again")
        finally:
            with self.lock:
                self.in_flight -= 1
            self.wake.set()

    def dispatch(self) -> int:
        """Claim as many due deliveries as there are free slots and start them; how many were started."""
        with self.lock:
            free = self.settings.concurrency - self.in_flight
        if free <= 0:
            return 0
        claimed = self.claim(free)
        with self.lock:
            self.in_flight += len(claimed)
        for one in claimed:
            self.pool.submit(self._run, one)
        return len(claimed)

    def prune(self, now: datetime | None = None, batch: int = 1000) -> int:
        """Forget delivered and dead deliveries older than `keep`, in batches; how many were forgotten."""
        before, forgotten = (now or dates.utcnow()) - self.settings.keep, 0
        while not self.stopping.is_set():
            with self.store.transaction(write=True) as tx:
                done = tx.prune_webhook_deliveries(before, batch)
            forgotten += done
            if done < batch:
                break
        return forgotten

    def run_forever(self) -> None:
        pruned_at = 0.0
        while not self.stopping.is_set():
            if time.monotonic() - pruned_at >= self.settings.prune_every:
                pruned_at = time.monotonic()
                try:
                    self.prune()
                except Exception:
                    log.exception("pruning the webhook delivery log failed; it is tried again later")
            try:
                started = self.dispatch()
            except Exception:
                log.exception("claiming webhook deliveries failed; trying again")
                started = 0
            if not started:
                self.wake.wait(self.settings.idle)
                self.wake.clear()

    def start(self) -> WebhookWorker:
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()
