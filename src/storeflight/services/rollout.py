"""The rollout endpoints: read the rollout of any submission, change it on the published one."""

from __future__ import annotations

from storeflight.approvals import gate
from storeflight.approvals.model import PendingChange
from storeflight.approvals.rules import Action, Attempt
from storeflight.audit import snapshots as snap
from storeflight.domain import rollout as domain
from storeflight.domain.models import PackageRollout
from storeflight.plans import service as plans
from storeflight.services import submissions
from storeflight.services.context import Context
from storeflight.services.submissions import Parent
from storeflight.storage.protocol import Tx


def get(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> PackageRollout:
    return submissions.get(tx, ctx, parent, submission_id).delivery.rollout


_GUARDED = {domain.RolloutAction.UPDATE: Action.ROLLOUT, domain.RolloutAction.FINALIZE: Action.FINALIZE}


def change(
    tx: Tx,
    ctx: Context,
    parent: Parent,
    submission_id: str,
    action: domain.RolloutAction,
    percentage: float | None,
    *,
    approved: PendingChange | None = None,
) -> PackageRollout:
    """Raise, halt or finalize; a raise or finalize an approval rule guards waits for approval instead
    (ApprovalRequired), unless `approved` is its approved pending change. Halting is never guarded."""
    submission = submissions.get(tx, ctx, parent, submission_id, lock=True)
    before = submission.delivery.rollout
    rollout = domain.apply(submission.status, before, action, percentage)
    if action in _GUARDED:
        attempt = Attempt(
            _GUARDED[action], submission.app_id, submission.flight_id, rollout.percentage, before.percentage
        )
        params = {"percentage": rollout.percentage} if action == domain.RolloutAction.UPDATE else {}
        gate.require(tx, ctx, attempt, submission.id, params, approved=approved)
    delivery = submission.delivery.model_copy(update={"rollout": rollout})
    changed = submission.model_copy(update={"delivery": delivery})
    tx.save_submission(changed)
    tx.bump_delivery_version(submission.tenant_id, submission.app_id)
    plans.on_manual_change(tx, ctx, submission, changed, action)  # a live plan pauses or ends with the rollout
    was, now = snap.rollout(before), snap.rollout(rollout)
    ctx.record(tx, f"rollout.{action.value}", "submission", submission.id, was, now)
    return rollout
