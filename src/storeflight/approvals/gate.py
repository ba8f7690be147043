"""The gate every guarded action passes: nothing to wait for, or a pending change and ApprovalRequired.

Services call `require` before they change anything; plans call it too, for changes to a plan. The
transaction that raises ApprovalRequired still commits (the error `keeps_writes`), so the pending change
it records stays.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from storeflight.approvals.model import ChangeStatus, PendingChange
from storeflight.approvals.rules import ANY_ROLE, Attempt, Requirement, requirement
from storeflight.domain import ids
from storeflight.domain.errors import ApprovalRequired
from storeflight.services.context import Context
from storeflight.storage.protocol import Tx


def require(
    tx: Tx,
    ctx: Context,
    attempt: Attempt,
    submission_id: str,
    params: dict[str, Any],
    *,
    approved: PendingChange | None = None,
) -> None:
    """Return when no rule guards the attempt, or when `approved` is its approved change being applied;
    otherwise record (or revise) its pending change and raise ApprovalRequired naming the rules and the change.

    The same request again finds the same pending change, approvals kept; a request with other parameters
    (another percentage) revises it and clears its approvals."""
    if approved is not None and approved.submission_id == submission_id and approved.action == attempt.action:
        return
    rules = tx.list_approval_rules(ctx.caller.tenant_id, attempt.app_id)
    needed = requirement(rules, attempt)
    if needed is None:
        return
    change = _pending(tx, ctx, attempt, submission_id, params, needed)
    raise ApprovalRequired(_message(change), rule_ids=list(needed.rule_ids), change_id=change.id)


def _pending(
    tx: Tx, ctx: Context, attempt: Attempt, submission_id: str, params: dict[str, Any], needed: Requirement
) -> PendingChange:
    expires_at = ctx.now + needed.expires_after
    found = tx.open_pending_change(ctx.caller.tenant_id, submission_id, attempt.action.value)
    if found is not None and found.status_at(ctx.now) == ChangeStatus.EXPIRED:
        expired = closed(found, ChangeStatus.EXPIRED, ctx, "It expired before it was approved.")
        tx.save_pending_change(expired)
        ctx.record(tx, "pendingchange.expire", "pendingchange", found.id, snapshot(found), snapshot(expired))
        found = None
    if found is not None:
        if found.params == params and found.requirement == needed:
            return found
        revised = found.revised(params, needed, expires_at)
        revised = replace(revised, requested_by=ctx.caller.client_id)  # its author now
        tx.save_pending_change(revised)
        ctx.record(tx, "pendingchange.revise", "pendingchange", found.id, snapshot(found), snapshot(revised))
        return revised
    change = PendingChange(
        id=ids.new_decimal_id(),
        tenant_id=ctx.caller.tenant_id,
        app_id=attempt.app_id,
        flight_id=attempt.flight_id,
        submission_id=submission_id,
        action=attempt.action,
        params=params,
        requirement=needed,
        requested_by=ctx.caller.client_id,
        requested_at=ctx.now,
        expires_at=expires_at,
    )
    tx.add_pending_change(change)
    ctx.record(tx, "pendingchange.request", "pendingchange", change.id, None, snapshot(change))
    return change


def closed(change: PendingChange, status: ChangeStatus, ctx: Context, reason: str) -> PendingChange:
    return replace(change, status=status, decided_at=ctx.now, reason=reason)


def snapshot(change: PendingChange) -> dict[str, Any]:
    """What the audit history (and webhooks) keep of a pending change."""
    return {
        "applicationId": change.app_id,
        "flightId": change.flight_id,
        "submissionId": change.submission_id,
        "action": change.action.value,
        "parameters": change.params,
        "status": change.status.value,
        "revision": change.revision,
        "rules": list(change.requirement.rule_ids),
        "requestedBy": change.requested_by,
        "approvals": [{"clientId": a.client_id, "role": a.role} for a in change.approvals],
        "reason": change.reason,
    }


def describe(needed: Requirement) -> str:
    """`2 approvals from role 'release', 1 from any client`."""
    parts = [
        f"{count} from {'any client' if role == ANY_ROLE else f'role {role!r}'}"
        for role, count in sorted(needed.roles.items())
    ]
    return ", ".join(parts)


def _message(change: PendingChange) -> str:
    rules = ", ".join(change.requirement.rule_ids)
    return (
        f"This {change.action.value} needs approval under approval rule {rules} "
        f"({describe(change.requirement)} approval(s)). It waits as pending change {change.id}, applied once "
        f"approved: POST /v1.0/my/pendingchanges/{change.id}/approve."
    )
