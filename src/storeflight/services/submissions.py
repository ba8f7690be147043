"""Flight submissions and the app's non-flighted submissions: one set of use cases for both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from storeflight.approvals import gate
from storeflight.approvals.model import PendingChange
from storeflight.approvals.rules import Action, Attempt
from storeflight.audit import snapshots as snap
from storeflight.domain import submissions as subs
from storeflight.domain.errors import InvalidState, NotCreatedThroughApi, NotFound
from storeflight.domain.lifecycle import Event, Operation, Status, check_allowed, next_status
from storeflight.domain.models import Application, FileStatus, Origin, PublishMode, RolloutStatus, Submission
from storeflight.services.context import Context, load_app
from storeflight.services.flights import load_flight
from storeflight.storage.protocol import StorageConflict, Tx


@dataclass(frozen=True)
class Parent:
    """Where a submission lives: an app's non-flighted line (flight_id None) or one of its flights."""

    app_id: str
    flight_id: str | None = None

    @property
    def key(self) -> str:
        return f"flight:{self.flight_id}" if self.flight_id else f"app:{self.app_id}"


def _resolve(tx: Tx, ctx: Context, parent: Parent, *, lock: bool = False) -> tuple[Application, Parent]:
    app = load_app(tx, ctx, parent.app_id, lock=lock)
    if parent.flight_id is None:
        return app, Parent(app.id)
    flight = load_flight(tx, ctx, app.id, parent.flight_id)
    return app, Parent(app.id, flight.id)


def get(tx: Tx, ctx: Context, parent: Parent, submission_id: str, *, lock: bool = False) -> Submission:
    """The submission; NotFound if unknown, InvalidState if it belongs to another flight or app."""
    if not lock:
        # One round trip when the path is right; anything else takes the careful path for the exact error.
        found = on_path(tx.get_submission_and_app(ctx.caller.tenant_id, submission_id), parent)
        if found is not None:
            return found
    _, parent = _resolve(tx, ctx, parent)
    submission = tx.get_submission(ctx.caller.tenant_id, submission_id, lock=lock)
    if submission is None:
        raise NotFound(f"The submission '{submission_id}' was not found.")
    if submission.parent_key != parent.key:
        owner = "flight" if parent.flight_id else "application"
        raise InvalidState(f"The submission '{submission_id}' does not belong to the given {owner}.")
    return submission


def on_path(found: tuple[Submission, Application] | None, parent: Parent) -> Submission | None:
    """The submission of a one-statement lookup when it is where the path says; None means: ask `get`,
    which gives the exact answer (404, 409, the unsupported-features error)."""
    if found and not found[1].unsupported_features and found[0].parent_key == _expected_key(found[1], parent):
        return found[0]
    return None


def _expected_key(app: Application, parent: Parent) -> str | None:
    if app.id != parent.app_id.upper():
        return None
    return Parent(app.id, parent.flight_id.lower() if parent.flight_id else None).key


def create(tx: Tx, ctx: Context, parent: Parent) -> Submission:
    """A new pending submission: a clone of the last published one (or an empty one)."""
    app, parent = _resolve(tx, ctx, parent, lock=True)
    pending = tx.pending_submission(parent.key)
    if pending is not None:
        raise InvalidState(
            f"Create submission failed: submission {pending.id} is still in progress ({pending.status.value})."
        )
    published = tx.last_published(parent.key)
    if published is not None and published.delivery.rollout.status == RolloutStatus.IN_PROGRESS:
        raise InvalidState(
            f"Create submission failed: the package rollout of submission {published.id} is in progress; "
            "finalize or halt it first."
        )
    identity = ctx.new_identity(app.id, parent.flight_id)
    submission = subs.clone(published, identity) if published else subs.fresh(identity)
    try:
        tx.add_submission(submission)
    except StorageConflict:
        raise InvalidState("Create submission failed: another submission is in progress.") from None
    tx.add_event(submission.id, ctx.now, None, submission.status.value, ctx.caller.client_id)
    ctx.record(tx, "submission.create", "submission", submission.id, None, snap.submission(submission))
    return submission


def update(tx: Tx, ctx: Context, parent: Parent, submission_id: str, change: subs.SubmissionUpdate) -> Submission:
    submission = _writable(tx, ctx, parent, submission_id, Operation.UPDATE)
    updated = subs.apply_update(submission, change)
    _check_packages_quota(tx, ctx, submission, updated)
    tx.save_submission(updated)
    ctx.record(tx, "submission.update", "submission", updated.id, snap.submission(submission), snap.submission(updated))
    return updated


def _check_packages_quota(tx: Tx, ctx: Context, before: Submission, after: Submission) -> None:
    """Packages to be uploaded count against the packages quota with the validated packages the tenant keeps."""
    new = sum(p.file_status == FileStatus.PENDING_UPLOAD for p in after.packages)
    if ctx.quotas.packages and new > sum(p.file_status == FileStatus.PENDING_UPLOAD for p in before.packages):
        ctx.quotas.check("packages", tx.stored_usage(ctx.caller.tenant_id)[1], new)


def commit(
    tx: Tx,
    ctx: Context,
    parent: Parent,
    submission_id: str,
    *,
    hold: Callable[[], timedelta | None] | None = None,
    approved: PendingChange | None = None,
) -> Submission:
    """Hand the submission to the ingestion pipeline (status CommitStarted).

    `hold`, asked only once the commit is allowed, says how long the checks wait before they run. A commit
    an approval rule guards waits for approval (ApprovalRequired) unless `approved` is its approved change.
    """
    submission = _writable(tx, ctx, parent, submission_id, Operation.COMMIT)
    rollout = submission.delivery.rollout
    start = rollout.percentage if rollout.is_package_rollout else 100.0
    attempt = Attempt(Action.COMMIT, submission.app_id, submission.flight_id, start)
    gate.require(tx, ctx, attempt, submission.id, {}, approved=approved)
    status = next_status(submission.status, Event.COMMIT)
    delay = (hold() if hold is not None else None) or timedelta(0)
    committed = submission.model_copy(update={"status": status, "next_run_at": ctx.now + delay})
    tx.save_submission(committed)
    tx.add_event(submission.id, ctx.now, submission.status.value, status.value, ctx.caller.client_id)
    before, after = snap.submission(submission), snap.submission(committed)
    ctx.record(tx, "submission.commit", "submission", submission.id, before, after)
    return committed


def delete(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> None:
    submission = _writable(tx, ctx, parent, submission_id, Operation.DELETE)
    tx.delete_submission(submission.id)
    tx.discard_blob(submission.upload_blob_id, ctx.now)
    tx.add_event(submission.id, ctx.now, submission.status.value, "Deleted", ctx.caller.client_id)
    ctx.record(tx, "submission.delete", "submission", submission.id, snap.submission(submission), None)


def _writable(tx: Tx, ctx: Context, parent: Parent, submission_id: str, operation: Operation) -> Submission:
    # Locked: a PUT racing a commit must not write the old status back over CommitStarted.
    submission = get(tx, ctx, parent, submission_id, lock=True)
    if submission.origin != Origin.API:
        raise NotCreatedThroughApi()
    check_allowed(operation, submission.status)
    return submission


def publish(
    tx: Tx, ctx: Context, parent: Parent, submission_id: str, *, approved: PendingChange | None = None
) -> Submission:
    """Publish a submission resting in Release (Manual mode, or SpecificDate before its date): our extension.
    Guarded by approval rules like commit."""
    submission = get(tx, ctx, parent, submission_id, lock=True)
    if submission.status != Status.RELEASE or submission.target_publish_mode == PublishMode.IMMEDIATE:
        raise InvalidState(
            f"Only a submission resting in Release can be published; this one is {submission.status.value}."
        )
    attempt = Attempt(Action.PUBLISH, submission.app_id, submission.flight_id)
    gate.require(tx, ctx, attempt, submission.id, {}, approved=approved)
    released = submission.model_copy(update={"release_approved_at": ctx.now, "next_run_at": ctx.now})
    tx.save_submission(released)
    after = {**snap.submission(released), "releaseApprovedAt": ctx.now.isoformat()}
    ctx.record(tx, "submission.publish", "submission", released.id, snap.submission(submission), after)
    return released


def history(tx: Tx, ctx: Context, parent: Parent) -> list[Submission]:
    """The line's submissions that still exist, newest first: the pending one (if any), then every published
    one by publish time (our extension: Microsoft's API lists no past submissions)."""
    _, parent = _resolve(tx, ctx, parent)
    published = [s for s in tx.published_submissions(parent.app_id) if s.parent_key == parent.key]
    published.sort(key=lambda s: (s.published_at or s.created_at, s.id), reverse=True)
    pending = tx.pending_submission(parent.key)
    return [pending, *published] if pending is not None else published
