"""Client roles, approval rules and pending changes (mixed into SqlTx)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from storeflight.approvals.model import ChangeStatus, PendingChange
from storeflight.approvals.rules import Action, Approval, Requirement, Rule
from storeflight.storage import tables as t
from storeflight.storage.protocol import Page


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # SQLite returns naive datetimes


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _rule(row: Row[Any]) -> Rule:
    return Rule(
        id=row.id,
        tenant_id=row.tenant_id,
        app_id=row.app_id,
        flight_id=row.flight_id,
        action=Action(row.action),
        approvals=row.approvals,
        role=row.role,
        above_percentage=row.above_percentage,
        allow_self_approval=row.allow_self_approval,
        expires_after=timedelta(seconds=row.expires_after_seconds),
        created_at=_utc(row.created_at),
    )


def _rule_values(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "tenant_id": rule.tenant_id,
        "app_id": rule.app_id,
        "flight_id": rule.flight_id,
        "action": rule.action.value,
        "approvals": rule.approvals,
        "role": rule.role,
        "above_percentage": rule.above_percentage,
        "allow_self_approval": rule.allow_self_approval,
        "expires_after_seconds": int(rule.expires_after.total_seconds()),
        "created_at": rule.created_at,
    }


def change_doc(change: PendingChange) -> dict[str, Any]:
    """A pending change as JSON (what the `doc` column holds)."""
    req = change.requirement
    return {
        "id": change.id,
        "tenant_id": change.tenant_id,
        "app_id": change.app_id,
        "flight_id": change.flight_id,
        "submission_id": change.submission_id,
        "action": change.action.value,
        "params": change.params,
        "requirement": {
            "rule_ids": list(req.rule_ids),
            "roles": req.roles,
            "allow_self_approval": req.allow_self_approval,
            "expires_after_seconds": int(req.expires_after.total_seconds()),
        },
        "requested_by": change.requested_by,
        "requested_at": change.requested_at.isoformat(),
        "expires_at": change.expires_at.isoformat(),
        "status": change.status.value,
        "approvals": [{"client_id": a.client_id, "role": a.role, "at": a.at.isoformat()} for a in change.approvals],
        "revision": change.revision,
        "decided_at": change.decided_at.isoformat() if change.decided_at else None,
        "decided_by": change.decided_by,
        "reason": change.reason,
    }


def change_from_doc(doc: dict[str, Any]) -> PendingChange:
    req = doc["requirement"]
    decided_at = _time(doc["decided_at"])
    return PendingChange(
        id=doc["id"],
        tenant_id=doc["tenant_id"],
        app_id=doc["app_id"],
        flight_id=doc["flight_id"],
        submission_id=doc["submission_id"],
        action=Action(doc["action"]),
        params=doc["params"],
        requirement=Requirement(
            rule_ids=tuple(req["rule_ids"]),
            roles=dict(req["roles"]),
            allow_self_approval=req["allow_self_approval"],
            expires_after=timedelta(seconds=req["expires_after_seconds"]),
        ),
        requested_by=doc["requested_by"],
        requested_at=datetime.fromisoformat(doc["requested_at"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]),
        status=ChangeStatus(doc["status"]),
        approvals=tuple(Approval(a["client_id"], a["role"], datetime.fromisoformat(a["at"])) for a in doc["approvals"]),
        revision=doc["revision"],
        decided_at=decided_at,
        decided_by=doc["decided_by"],
        reason=doc["reason"],
    )


class ApprovalsSql:
    conn: Connection
    lock_rows: bool

    def client_roles(self, client_id: str) -> list[str]:
        r = t.client_roles
        return list(self.conn.scalars(select(r.c.role).where(r.c.client_id == client_id).order_by(r.c.role)))

    def set_client_roles(self, client_id: str, tenant_id: str, roles: Sequence[str]) -> None:
        r = t.client_roles
        self.conn.execute(delete(r).where(r.c.client_id == client_id))
        if roles:
            rows = [{"client_id": client_id, "role": role, "tenant_id": tenant_id} for role in sorted(set(roles))]
            self.conn.execute(insert(r), rows)

    def add_approval_rule(self, rule: Rule) -> None:
        self.conn.execute(insert(t.approval_rules).values(**_rule_values(rule)))

    def save_approval_rule(self, rule: Rule) -> None:
        a = t.approval_rules
        self.conn.execute(update(a).where(a.c.id == rule.id).values(**_rule_values(rule)))

    def get_approval_rule(self, tenant_id: str, rule_id: str) -> Rule | None:
        a = t.approval_rules
        row = self.conn.execute(select(a).where(a.c.id == rule_id, a.c.tenant_id == tenant_id)).first()
        return _rule(row) if row is not None else None

    def list_approval_rules(self, tenant_id: str, app_id: str) -> list[Rule]:
        a = t.approval_rules
        query = select(a).where(a.c.tenant_id == tenant_id, a.c.app_id == app_id).order_by(a.c.created_at, a.c.id)
        return [_rule(row) for row in self.conn.execute(query)]

    def delete_approval_rule(self, rule_id: str) -> None:
        self.conn.execute(delete(t.approval_rules).where(t.approval_rules.c.id == rule_id))

    def add_pending_change(self, change: PendingChange) -> None:
        self.conn.execute(insert(t.pending_changes).values(**self._change_values(change)))

    def save_pending_change(self, change: PendingChange) -> None:
        p = t.pending_changes
        self.conn.execute(update(p).where(p.c.id == change.id).values(**self._change_values(change)))

    @staticmethod
    def _change_values(change: PendingChange) -> dict[str, Any]:
        return {
            "id": change.id,
            "tenant_id": change.tenant_id,
            "app_id": change.app_id,
            "submission_id": change.submission_id,
            "action": change.action.value,
            "status": change.status.value,
            "requested_at": change.requested_at,
            "expires_at": change.expires_at,
            "doc": change_doc(change),
        }

    def get_pending_change(self, tenant_id: str, change_id: str, *, lock: bool = False) -> PendingChange | None:
        p = t.pending_changes
        query = select(p.c.doc).where(p.c.id == change_id, p.c.tenant_id == tenant_id)
        if lock and self.lock_rows:
            query = query.with_for_update()
        doc = self.conn.scalar(query)
        return change_from_doc(doc) if doc is not None else None

    def open_pending_change(self, tenant_id: str, submission_id: str, action: str) -> PendingChange | None:
        p = t.pending_changes
        query = select(p.c.doc).where(
            p.c.tenant_id == tenant_id,
            p.c.submission_id == submission_id,
            p.c.action == action,
            p.c.status == ChangeStatus.PENDING.value,
        )
        doc = self.conn.scalar(query.order_by(p.c.requested_at.desc()).limit(1))
        return change_from_doc(doc) if doc is not None else None

    def list_pending_changes(
        self, tenant_id: str, *, status: str | None, app_id: str | None, now: datetime, skip: int, top: int
    ) -> Page[PendingChange]:
        p = t.pending_changes
        where: list[Any] = [p.c.tenant_id == tenant_id]
        pending = p.c.status == ChangeStatus.PENDING.value
        if status == ChangeStatus.PENDING.value:
            where += [pending, p.c.expires_at > now]
        elif status == ChangeStatus.EXPIRED.value:
            where.append((p.c.status == status) | (pending & (p.c.expires_at <= now)))
        elif status is not None:
            where.append(p.c.status == status)
        if app_id is not None:
            where.append(p.c.app_id == app_id)
        total = self.conn.scalar(select(func.count()).select_from(p).where(*where)) or 0
        query = select(p.c.doc).where(*where).order_by(p.c.requested_at.desc(), p.c.id).offset(skip).limit(top)
        return Page([change_from_doc(doc) for doc in self.conn.scalars(query)], total)

    def forget_app_approvals(self, app_id: str) -> None:
        self.conn.execute(delete(t.approval_rules).where(t.approval_rules.c.app_id == app_id))
        self.conn.execute(delete(t.pending_changes).where(t.pending_changes.c.app_id == app_id))
