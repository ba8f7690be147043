"""Carrying out an approved change through the same use case the guarded call runs, and revising one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from storeflight.approvals.gate import snapshot
from storeflight.approvals.model import ChangeStatus, PendingChange
from storeflight.approvals.rules import Action
from storeflight.domain.errors import ApprovalRequired, InvalidState
from storeflight.domain.rollout import RolloutAction
from storeflight.services import rollout, submissions
from storeflight.services.context import Context
from storeflight.services.submissions import Parent
from storeflight.storage.protocol import Tx

Applier = Callable[[Tx, Context, PendingChange], None]


def _rollout(tx: Tx, ctx: Context, change: PendingChange) -> None:
    parent = Parent(change.app_id, change.flight_id)
    action = RolloutAction.UPDATE if change.action == Action.ROLLOUT else RolloutAction.FINALIZE
    rollout.change(tx, ctx, parent, change.submission_id, action, change.params.get("percentage"), approved=change)


def _commit(tx: Tx, ctx: Context, change: PendingChange) -> None:
    submissions.commit(tx, ctx, Parent(change.app_id, change.flight_id), change.submission_id, approved=change)


def _publish(tx: Tx, ctx: Context, change: PendingChange) -> None:
    submissions.publish(tx, ctx, Parent(change.app_id, change.flight_id), change.submission_id, approved=change)


def _plan(tx: Tx, ctx: Context, change: PendingChange) -> None:
    from storeflight.plans import service as plans  # noqa: PLC0415 - the plans package imports the rollout use cases

    plans.apply_approved(tx, ctx, change)


APPLIERS: dict[Action, Applier] = {
    Action.ROLLOUT: _rollout,
    Action.FINALIZE: _rollout,
    Action.COMMIT: _commit,
    Action.PUBLISH: _publish,
    Action.PLAN: _plan,
}


def carry_out(tx: Tx, ctx: Context, change: PendingChange) -> None:
    """Run the change's action as approved (the rules are not asked again); the action's own errors (the
    rollout was halted meanwhile) propagate, nothing changed."""
    applier = APPLIERS.get(change.action)
    if applier is None:
        raise InvalidState(f"No use case carries out a {change.action.value} change here.", target="pendingChange")
    applier(tx, ctx, change)


def revise_rollout(tx: Tx, ctx: Context, change: PendingChange, percentage: float) -> PendingChange:
    """Ask for another percentage through the rollout use case: the gate revises the pending change (clearing
    its approvals) when a rule still guards it; otherwise the new percentage is set now and the change closed."""
    parent = Parent(change.app_id, change.flight_id)
    try:
        rollout.change(tx, ctx, parent, change.submission_id, RolloutAction.UPDATE, percentage)
    except ApprovalRequired as waiting:
        found = tx.get_pending_change(ctx.caller.tenant_id, waiting.change_id)
        assert found is not None
        return found
    done = replace(
        change,
        status=ChangeStatus.APPLIED,
        params={"percentage": percentage},
        approvals=(),
        revision=change.revision + 1,
        decided_at=ctx.now,
        decided_by=ctx.caller.client_id,
        reason="The revised percentage needs no approval: set at once.",
    )
    tx.save_pending_change(done)
    ctx.record(
        tx, "pendingchange.apply", "pendingchange", change.id, snapshot(change), snapshot(done), reason=done.reason
    )
    return done
