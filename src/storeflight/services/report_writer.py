"""Group commit for device reports: batches that arrive together are counted in one write transaction.

A request thread hands its batch over and waits. Whichever thread finds no writer at work becomes the writer:
it takes every batch waiting (up to `max_batches`), counts them one after another in one transaction (each
sees the ones before it, so the counts stay exact), commits once, and hands each its answer; then it takes
the batches that arrived meanwhile, until none wait. One commit (and, on SQLite, one fsync) thus serves many
batches. That pays where writers queue anyway (SQLite has one writer at a time); on PostgreSQL, where
transactions run side by side, `grouped=False` counts each batch in its own transaction at once (grouping
measured slower there: docs/benchmarks.md). If the shared transaction fails, each of its batches is
retried alone, so one bad batch fails only itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from storeflight.delivery.snapshot import Snapshot
from storeflight.services.reports import Ingested, ingest
from storeflight.storage.protocol import Store, Tx
from storeflight.telemetry.events import Event


@dataclass
class _Job:
    snapshot: Snapshot
    customer_id: str
    events: Sequence[Event]
    done: Future[Ingested] = field(default_factory=Future)


class ReportWriter:
    def __init__(
        self, store: Store, clock: Callable[[], datetime], *, grouped: bool = True, max_batches: int = 64
    ) -> None:
        self.store, self.clock, self.max_batches = store, clock, max_batches if grouped else 1
        self.grouped = grouped
        self._lock = threading.Lock()
        self._waiting: list[_Job] = []
        self._writing = False
        self.commits = 0  # transactions committed (fewer than batches when they were grouped)

    def write(self, snapshot: Snapshot, customer_id: str, events: Sequence[Event]) -> Ingested:
        """Count one device's batch; blocks until it is committed (call it off the event loop)."""
        job = _Job(snapshot, customer_id, events)
        if not self.grouped:  # concurrent transactions (PostgreSQL): each batch in its own, at once
            self._run([job])
            return job.done.result()
        with self._lock:
            self._waiting.append(job)
            lead = not self._writing
            self._writing = True
        if lead:
            self._drain()
        return job.done.result()

    def _drain(self) -> None:
        while True:
            with self._lock:
                jobs, self._waiting = self._waiting[: self.max_batches], self._waiting[self.max_batches :]
                if not jobs:
                    self._writing = False
                    return
            self._run(jobs)

    def _run(self, jobs: list[_Job]) -> None:
        try:
            with self.store.transaction(write=True) as tx:
                results = [self._count(tx, job) for job in jobs]
            self.commits += 1
        except Exception as error:
            if len(jobs) == 1:
                jobs[0].done.set_exception(error)
                return
            for job in jobs:  # alone, so only a bad batch fails
                self._run([job])
            return
        for job, result in zip(jobs, results, strict=True):
            job.done.set_result(result)

    def _count(self, tx: Tx, job: _Job) -> Ingested:
        return ingest(tx, job.snapshot, job.customer_id, job.events, self.clock())
