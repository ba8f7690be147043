"""The plan worker: claims due plans with a lease and carries out their next action, once.

A claim is a lease (row picked with SKIP LOCKED on PostgreSQL); the action's rollout change, the plan's new
state, its event and its audit record are written in one transaction that saves the state only while the
lease is still held. A worker killed at any point therefore either committed the step or left nothing:
its lease runs out and another worker (or it, restarted) decides again from the stored state.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from storeflight.domain import dates
from storeflight.plans import service
from storeflight.storage.protocol import Store

log = logging.getLogger("storeflight.plans")


@dataclass(frozen=True)
class PlanWorkerSettings:
    lease: timedelta = timedelta(seconds=60)
    poll: timedelta = service.DEFAULT_POLL  # how often a guarded or waiting plan is looked at again
    idle: float = 1.0  # seconds to sleep when nothing is due


class PlanWorker:
    def __init__(self, store: Store, settings: PlanWorkerSettings, name: str | None = None) -> None:
        self.store, self.settings = store, settings
        self.owner = name or f"plans-{uuid.uuid4().hex[:12]}"
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run_forever, name="storeflight-plans", daemon=True)

    def run_once(self, now: datetime | None = None) -> bool:
        """Carry out one due plan's next action; False when none was due."""
        now = now or dates.utcnow()
        with self.store.transaction(write=True) as tx:
            claimed = tx.claim_plan(now=now, owner=self.owner, lease_until=now + self.settings.lease)
        if claimed is None:
            return False
        try:
            with self.store.transaction(write=True) as tx:
                action = service.run(tx, claimed, now, owner=self.owner, poll=self.settings.poll)
        except service.LeaseLost:
            log.warning("lost the lease on plan %s; another worker owns it now", claimed.id)
            return True
        if action is not None and action.kind.value in ("set", "finalize", "halt"):
            log.info("plan %s: %s step %d (%s)", claimed.id, action.kind.value, action.step, action.reason)
        return True

    def run_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("a plan step crashed; its lease will expire and it will be decided again")
                busy = False
            if not busy:
                self.wake.wait(self.settings.idle)
                self.wake.clear()

    def start(self) -> PlanWorker:
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
