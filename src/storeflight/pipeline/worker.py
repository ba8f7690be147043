"""The worker: claims due submissions one at a time and runs their current stage (one per slot).

Safe with any number of workers on one PostgreSQL database: a claim is a lease (row picked with
SKIP LOCKED), and a stage's result is saved only if the lease is still held, so no stage is applied twice.
A worker killed mid-stage loses nothing: its lease runs out and another worker (or it, restarted) runs the
stage again. Stage side effects outside the database (package blobs) have deterministic names.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from storeflight.audit import snapshots as snap
from storeflight.audit.record import PIPELINE
from storeflight.blobs.protocol import BlobStore
from storeflight.blobs.space import is_out_of_space
from storeflight.domain import dates, ids
from storeflight.domain.lifecycle import TRANSITIONS, Event, Status
from storeflight.domain.models import Submission
from storeflight.ingest.archive import ArchiveLimits
from storeflight.ops import metrics
from storeflight.pipeline.outcome import fail, wait_until
from storeflight.pipeline.stages import STAGES, StageInput, StageResult
from storeflight.storage.protocol import Store, Tx
from storeflight.telemetry.tally import hour_of

log = logging.getLogger("storeflight.pipeline")


class StageTiming(Protocol):
    """Decides how long a submission entering a status stays there (the rough-edges profile is one)."""

    def stage_delay(self, tenant: str, status: str) -> timedelta | None:
        """None: the worker's fixed stage delay."""


@dataclass(frozen=True)
class WorkerSettings:
    stage_delay: timedelta = timedelta(0)
    timing: StageTiming | None = None
    lease: timedelta = timedelta(seconds=60)
    idle_poll: float = 0.5
    space_retry: timedelta = timedelta(seconds=60)  # a stage that found the disk full runs again after this
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    report_id_retention: timedelta = timedelta(days=7)  # device report event ids are remembered this long
    prune_every: timedelta = timedelta(minutes=10)  # how often an idle worker forgets older event ids
    # Blobs stay this long after they are no longer needed, so that a backup's blob copy, made after its
    # database copy, still finds every blob that copy names (serve and worker: 10 minutes).
    garbage_grace: timedelta = timedelta(0)


class Worker:
    """Runs pipeline stages for submissions in any process that shares the database and blob store."""

    def __init__(self, store: Store, blobs: BlobStore, settings: WorkerSettings, name: str | None = None) -> None:
        self.store, self.blobs, self.settings = store, blobs, settings
        self.owner = name or f"worker-{uuid.uuid4().hex[:12]}"
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.pruned_at: datetime | None = None

    def sibling(self, slot: int) -> Worker:
        """Another slot of this worker: the same store, blobs and settings, its own lease owner name."""
        return Worker(self.store, self.blobs, self.settings, name=f"{self.owner}-{slot}")

    def run_once(self, now: datetime | None = None) -> bool:
        """Process one due stage; False when nothing was due."""
        now = now or dates.utcnow()
        claimed = self._claim(now)
        if claimed is None:
            return False
        submission, inp = claimed
        if inp is None:  # an injected fault was applied inside the claim
            _counted(submission, "failed", None)
            return True
        started = time.perf_counter()
        with _Heartbeat(self, submission.id):
            result = self._run(inp)
        seconds = time.perf_counter() - started
        outcome = _outcome(submission, result.submission) if self._finish(submission, result) else "lost_lease"
        _counted(submission, outcome, seconds)
        return True

    def run_forever(self) -> None:
        """Work until `stop()`; sleep when idle until woken or the poll interval passes."""
        while not self.stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("pipeline stage crashed; its lease will expire and the stage will run again")
                busy = False
            if not busy:
                self._collect_quietly()
                self._prune_quietly()
                self.wake.wait(self.settings.idle_poll)
                self.wake.clear()

    def collect_garbage(self, batch: int = 100, now: datetime | None = None) -> int:
        """Delete blobs recorded as no longer needed for longer than the grace period (when idle: never ahead
        of pipeline work); the number."""
        deleted = 0
        before = (now or dates.utcnow()) - self.settings.garbage_grace
        while True:
            with self.store.transaction(write=False) as tx:
                names = tx.blob_garbage(batch, before)
            if not names:
                return deleted
            for name in names:
                self.blobs.delete(name)  # a blob already gone is fine: deleting is idempotent
            with self.store.transaction(write=True) as tx:
                tx.forget_blobs(names)
            deleted += len(names)

    def _collect_quietly(self) -> None:
        try:
            self.collect_garbage()
        except Exception:  # the records stay; the next idle moment tries again
            log.exception("deleting unneeded blobs failed")

    def prune_report_ids(self, now: datetime | None = None, batch: int = 5000) -> int:
        """Forget device report event ids older than the retention window, in short transactions; the number.
        An event sent again after that is counted again (its id is no longer known)."""
        now = now or dates.utcnow()
        before = hour_of(now - self.settings.report_id_retention)
        forgotten = 0
        while not self.stopping.is_set():
            with self.store.transaction(write=True) as tx:
                count = tx.prune_report_ids(before, batch)
            forgotten += count
            if count < batch:
                break
        self.pruned_at = now
        return forgotten

    def _prune_quietly(self) -> None:
        now = dates.utcnow()
        if self.pruned_at is not None and now - self.pruned_at < self.settings.prune_every:
            return
        try:
            self.prune_report_ids(now)
        except Exception:  # the ids stay; the next idle moment after prune_every tries again
            log.exception("forgetting old device report event ids failed")
            self.pruned_at = now

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def _claim(self, now: datetime) -> tuple[Submission, StageInput | None] | None:
        with self.store.transaction(write=True) as tx:
            sub = tx.claim_next(now=now, owner=self.owner, lease_until=now + self.settings.lease)
            if sub is None:
                return None
            fault = tx.take_fault(sub.app_id, sub.status.value)
            if fault is not None:
                failed = fail(sub, fault.code, fault.details or f"Injected failure at {sub.status.value}.")
                tx.finish(failed, owner=self.owner)
                tx.add_event(sub.id, now, sub.status.value, failed.status.value, self.owner)
                _record_status(tx, sub, failed, reason=f"injected failure {fault.code}")
                return sub, None
            return sub, self._input(tx, sub, now)

    def _input(self, tx: Tx, sub: Submission, now: datetime) -> StageInput:
        app = tx.get_app(sub.tenant_id, sub.app_id)
        assert app is not None  # the foreign key guarantees it
        return StageInput(
            submission=sub,
            app=app,
            previous=tx.last_published(sub.parent_key),
            app_published=tx.last_published(f"app:{sub.app_id}"),
            line_highest=tx.line_highest(sub.parent_key) if sub.status == Status.PRE_PROCESSING else {},
            now=now,
            delay=self._delay(sub),
            blobs=self.blobs,
            limits=self.settings.limits,
        )

    def _delay(self, sub: Submission) -> timedelta:
        """How long the status the stage may advance to lasts: the timing's draw, else the fixed delay."""
        entering = TRANSITIONS.get((sub.status, Event.ADVANCE))
        timing = self.settings.timing
        drawn = timing.stage_delay(sub.tenant_id, entering.value) if timing and entering else None
        return drawn if drawn is not None else self.settings.stage_delay

    def _run(self, inp: StageInput) -> StageResult:
        stage = STAGES.get(inp.submission.status)
        if stage is None:  # not a pipeline status any more (e.g. changed by an operator): stop scheduling
            return StageResult(inp.submission.model_copy(update={"next_run_at": None}))
        try:
            return stage(inp)
        except Exception as error:
            if is_out_of_space(error):  # the server's fault, not the package's: try again once space is freed
                log.warning(
                    "no space for %s of %s; retrying later",
                    inp.submission.status,
                    inp.submission.id,
                    extra=_about(inp.submission),
                )
                return StageResult(wait_until(inp.submission, inp.now + self.settings.space_retry))
            # A bug or an unreadable blob: fail visibly instead of retrying forever.
            log.exception(
                "stage %s failed for submission %s",
                inp.submission.status,
                inp.submission.id,
                extra=_about(inp.submission),
            )
            return StageResult(
                fail(inp.submission, "ServiceError", f"Internal error during {inp.submission.status.value}: {error}")
            )

    def _finish(self, before: Submission, result: StageResult) -> bool:
        """Save the stage's result; False when the lease was lost meanwhile (nothing saved)."""
        after = result.submission
        with self.store.transaction(write=True) as tx:
            if not tx.finish(after, owner=self.owner):
                log.warning("lost the lease on %s; another worker owns it now", before.id, extra=_about(before))
                return False
            for token, body in result.reports:
                tx.add_report(token, after.id, dates.utcnow(), body)
            _record_kept_packages(tx, before, after)
            if after.status == Status.PUBLISHED:
                tx.bump_delivery_version(after.tenant_id, after.app_id)
                # Its packages are blobs of their own now; the uploaded archive is no longer needed.
                tx.discard_blob(after.upload_blob_id, dates.utcnow())
            if after.status != before.status:
                tx.add_event(after.id, dates.utcnow(), before.status.value, after.status.value, self.owner)
                _record_status(tx, before, after)
        return True


def _about(submission: Submission) -> dict[str, str]:
    """The log fields of a line about a submission's stage (ops/logs.py)."""
    return {"submission_id": submission.id, "stage": submission.status.value}


def _outcome(before: Submission, after: Submission) -> str:
    if after.status.value.endswith("Failed"):
        return "failed"
    return "advanced" if after.status != before.status else "waiting"


def _counted(before: Submission, outcome: str, seconds: float | None) -> None:
    """One stage done: a log line with the submission id, and its count and time when metrics are on."""
    fields = {**_about(before), "outcome": outcome}
    log.info("stage %s of submission %s: %s", before.status.value, before.id, outcome, extra=fields)
    if (counted := metrics.ACTIVE) is not None:
        counted.stage(before.status.value, outcome, seconds)


def _record_status(tx: Tx, before: Submission, after: Submission, *, reason: str | None = None) -> None:
    """The pipeline's move of a submission, in the audit history (actor: the server)."""
    errors = [e.code for e in after.status_details.errors]
    changed: dict[str, object] = {"status": after.status.value, **({"errors": errors} if errors else {})}
    if after.status == Status.PUBLISHED:
        changed["packageRollout"] = snap.rollout(after.delivery.rollout)
    resource = ("submission", after.id)
    PIPELINE.record(
        tx, after.tenant_id, "submission.status", resource, {"status": before.status.value}, changed, reason=reason
    )


def _record_kept_packages(tx: Tx, before: Submission, after: Submission) -> None:
    """Packages this stage validated and kept as blobs count for the tenant's packages and stored bytes."""
    known = {p.id for p in before.packages}
    for package in after.packages:
        if package.id and package.id not in known:
            tx.record_blob(ids.package_blob(package.id), after.tenant_id, package.size, package=True)


class _Heartbeat:
    """Renews the lease while a long stage runs."""

    def __init__(self, worker: Worker, submission_id: str) -> None:
        self.worker, self.submission_id = worker, submission_id
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> None:
        self.thread.start()

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()

    def _beat(self) -> None:
        lease = self.worker.settings.lease
        while not self.done.wait(lease.total_seconds() / 3):
            until = dates.utcnow() + lease
            with self.worker.store.transaction(write=True) as tx:
                tx.renew_lease(self.submission_id, owner=self.worker.owner, lease_until=until)
