"""Use cases of approvals: rules, roles, and deciding pending changes. Each takes an open `Tx`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from storeflight.approvals import apply
from storeflight.approvals.gate import closed, snapshot
from storeflight.approvals.model import ChangeStatus, PendingChange
from storeflight.approvals.rules import (
    ANY_ROLE,
    MAX_APPROVALS,
    MAX_EXPIRY,
    MAX_RULES,
    Action,
    Approval,
    Rule,
    judge,
    satisfied,
)
from storeflight.audit.model import Actor, ActorKind
from storeflight.audit.record import record
from storeflight.domain import ids, text
from storeflight.domain.errors import (
    Forbidden,
    InvalidOperation,
    InvalidParameterValue,
    InvalidState,
    NotFound,
    StoreflightError,
)
from storeflight.services.context import Context, load_app
from storeflight.services.flights import load_flight
from storeflight.storage.protocol import Page, Tx

MAX_ROLE = 64


@dataclass(frozen=True)
class RuleSpec:
    """What a client asks for when it creates or replaces a rule."""

    action: Action
    approvals: int = 1
    flight_id: str | None = None
    role: str = ANY_ROLE
    above_percentage: float | None = None
    allow_self_approval: bool = False
    expires_after: timedelta = timedelta(days=7)


def check_role(role: str) -> str:
    role = role.strip()
    if len(role) > MAX_ROLE or any(not (c.isalnum() or c in "-_.") for c in role):
        raise InvalidParameterValue(
            f"A role is up to {MAX_ROLE} letters, digits, '-', '_' or '.'; got {role[:80]!r}.", target="role"
        )
    return role


def _check(spec: RuleSpec) -> None:
    if not 1 <= spec.approvals <= MAX_APPROVALS:
        raise InvalidParameterValue(f"approvals must be between 1 and {MAX_APPROVALS}.", target="approvals")
    if not timedelta(hours=1) <= spec.expires_after <= MAX_EXPIRY:
        raise InvalidParameterValue(
            "expiresAfterHours must be between 1 and 2160 (90 days).", target="expiresAfterHours"
        )
    if (spec.action == Action.ROLLOUT) != (spec.above_percentage is not None):
        raise InvalidParameterValue(
            "abovePercentage is required for (and only for) a rollout rule.", target="abovePercentage"
        )
    if spec.above_percentage is not None and not 0 <= spec.above_percentage < 100:
        raise InvalidParameterValue("abovePercentage must be at least 0 and below 100.", target="abovePercentage")
    check_role(spec.role)


def _scope(tx: Tx, ctx: Context, app_id: str, flight_id: str | None) -> tuple[str, str | None]:
    app = load_app(tx, ctx, app_id)
    return app.id, (load_flight(tx, ctx, app.id, flight_id).id if flight_id is not None else None)


def create_rule(tx: Tx, ctx: Context, app_id: str, spec: RuleSpec) -> Rule:
    app, flight = _scope(tx, ctx, app_id, spec.flight_id)
    _check(spec)
    if len(tx.list_approval_rules(ctx.caller.tenant_id, app)) >= MAX_RULES:
        raise InvalidState(f"An app has at most {MAX_RULES} approval rules.", target="approvalRule")
    rule = Rule(
        id=ids.new_decimal_id(),
        tenant_id=ctx.caller.tenant_id,
        app_id=app,
        created_at=ctx.now,
        **{**spec.__dict__, "flight_id": flight, "role": spec.role.strip()},
    )
    tx.add_approval_rule(rule)
    ctx.record(tx, "approvalrule.create", "approvalrule", rule.id, None, rule_snapshot(rule))
    return rule


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    return {
        "applicationId": rule.app_id,
        "flightId": rule.flight_id,
        "action": rule.action.value,
        "approvals": rule.approvals,
        "role": rule.role,
        "abovePercentage": rule.above_percentage,
        "allowSelfApproval": rule.allow_self_approval,
        "expiresAfterSeconds": int(rule.expires_after.total_seconds()),
    }


def list_rules(tx: Tx, ctx: Context, app_id: str) -> list[Rule]:
    return tx.list_approval_rules(ctx.caller.tenant_id, load_app(tx, ctx, app_id).id)


def get_rule(tx: Tx, ctx: Context, app_id: str, rule_id: str) -> Rule:
    app = load_app(tx, ctx, app_id)
    rule = tx.get_approval_rule(ctx.caller.tenant_id, rule_id)
    if rule is None or rule.app_id != app.id:
        raise NotFound(f"The approval rule '{rule_id}' was not found.", target="approvalRule")
    return rule


def replace_rule(tx: Tx, ctx: Context, app_id: str, rule_id: str, spec: RuleSpec) -> Rule:
    """Replace a rule's terms. Pending changes keep the requirement they were made with."""
    rule = get_rule(tx, ctx, app_id, rule_id)
    _, flight = _scope(tx, ctx, app_id, spec.flight_id)
    _check(spec)
    updated = replace(rule, **{**spec.__dict__, "flight_id": flight, "role": spec.role.strip()})
    tx.save_approval_rule(updated)
    ctx.record(tx, "approvalrule.replace", "approvalrule", rule.id, rule_snapshot(rule), rule_snapshot(updated))
    return updated


def delete_rule(tx: Tx, ctx: Context, app_id: str, rule_id: str) -> Rule:
    rule = get_rule(tx, ctx, app_id, rule_id)
    tx.delete_approval_rule(rule.id)
    ctx.record(tx, "approvalrule.delete", "approvalrule", rule.id, rule_snapshot(rule), None)
    return rule


def list_changes(
    tx: Tx, ctx: Context, *, status: ChangeStatus | None, app_id: str | None, skip: int, top: int
) -> Page[PendingChange]:
    app = load_app(tx, ctx, app_id).id if app_id is not None else None
    found = tx.list_pending_changes(
        ctx.caller.tenant_id, status=status.value if status else None, app_id=app, now=ctx.now, skip=skip, top=top
    )
    return found


def get_change(tx: Tx, ctx: Context, change_id: str, *, lock: bool = False) -> PendingChange:
    change = tx.get_pending_change(ctx.caller.tenant_id, change_id, lock=lock)
    if change is None:
        raise NotFound(f"The pending change '{change_id}' was not found.", target="pendingChange")
    return change


def _open(tx: Tx, ctx: Context, change_id: str) -> PendingChange:
    change = get_change(tx, ctx, change_id, lock=True)
    status = change.status_at(ctx.now)
    if status != ChangeStatus.PENDING:
        raise InvalidState(
            f"The pending change {change.id} is {status.value}: it can no longer change.", target="pendingChange"
        )
    return change


def approve(tx: Tx, ctx: Context, change_id: str) -> PendingChange:
    """Add the caller's approval; with the last one needed, carry the change out (status applied, or failed
    with the reason when its action is no longer possible)."""
    change = _open(tx, ctx, change_id)
    client = ctx.caller.client_id
    verdict = judge(
        change.requirement,
        change.approvals,
        approver=client,
        roles=tx.client_roles(client),
        requester=change.requested_by,
    )
    if not verdict.allowed:
        raise Forbidden(verdict.reason, target="pendingChange")
    approved = replace(change, approvals=(*change.approvals, Approval(client, verdict.role, ctx.now)))
    if satisfied(approved.requirement, approved.approvals):
        approved = _carry_out(
            tx, ctx, replace(approved, status=ChangeStatus.APPLIED, decided_at=ctx.now, decided_by=client)
        )
    tx.save_pending_change(approved)
    given = replace(approved, status=ChangeStatus.PENDING)
    ctx.record(tx, "pendingchange.approve", "pendingchange", change.id, snapshot(change), snapshot(given))
    if approved.status != ChangeStatus.PENDING:
        verb = "apply" if approved.status == ChangeStatus.APPLIED else "fail"
        ctx.record(
            tx,
            f"pendingchange.{verb}",
            "pendingchange",
            change.id,
            snapshot(given),
            snapshot(approved),
            reason=approved.reason,
        )
    return approved


def _carry_out(tx: Tx, ctx: Context, change: PendingChange) -> PendingChange:
    try:
        apply.carry_out(tx, ctx, change)
    except StoreflightError as error:
        return replace(change, status=ChangeStatus.FAILED, reason=error.message)
    return change


def reject(tx: Tx, ctx: Context, change_id: str, reason: str | None) -> PendingChange:
    """Refuse the change: the requester withdrawing it, or any client holding a role it needs."""
    change = _open(tx, ctx, change_id)
    client = ctx.caller.client_id
    roles = set(tx.client_roles(client))
    if (
        client != change.requested_by
        and ANY_ROLE not in change.requirement.roles
        and not roles & set(change.requirement.roles)
    ):
        raise Forbidden(
            "Only the requester or a client holding a role this change needs can reject it.", target="pendingChange"
        )
    note = text.check(reason, "reason")[:1000] if reason else "Rejected."
    rejected = replace(closed(change, ChangeStatus.REJECTED, ctx, note), decided_by=client)
    tx.save_pending_change(rejected)
    ctx.record(
        tx, "pendingchange.reject", "pendingchange", change.id, snapshot(change), snapshot(rejected), reason=note
    )
    return rejected


def revise(tx: Tx, ctx: Context, change_id: str, percentage: float) -> PendingChange:
    """Change a pending rollout's percentage: its approvals are cleared and the caller becomes its requester
    (the new percentage goes through the rules again: one that no rule guards is applied now)."""
    change = _open(tx, ctx, change_id)
    if change.action != Action.ROLLOUT:
        raise InvalidOperation(
            f"Only a pending rollout percentage can be changed; this change is a {change.action.value}.",
            target="pendingChange",
        )
    return apply.revise_rollout(tx, ctx, change, percentage)


def set_roles(tx: Tx, client_id: str, roles: list[str]) -> list[str]:
    """Replace an API client's roles (the admin CLI)."""
    client = tx.get_client(client_id)
    if client is None:
        raise NotFound(f"No client '{client_id}'.", target="client")
    clean = sorted({check_role(r) for r in roles} - {ANY_ROLE})
    before = tx.client_roles(client.client_id)
    tx.set_client_roles(client.client_id, client.tenant_id, clean)
    record(
        tx,
        tenant_id=client.tenant_id,
        actor=Actor(ActorKind.ADMIN, "admin-cli"),
        action="client.roles",
        resource_type="client",
        resource_id=client.client_id,
        before={"roles": before},
        after={"roles": clean},
    )
    return clean
