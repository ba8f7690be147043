"""The audit history's chains (mixed into SqlTx): insert-only records and one head row per tenant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from storeflight.audit.model import GENESIS, Actor, ActorKind, AuditFilter, AuditRecord, Entry, canonical
from storeflight.storage import tables as t
from storeflight.storage.protocol import Page


def _json(value: Any) -> str | None:
    return None if value is None else canonical(value)


def _record(row: Row[Any]) -> AuditRecord:
    at: datetime = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)  # SQLite: naive UTC
    entry = Entry(
        tenant_id=row.tenant_id,
        at=at,
        actor=Actor(ActorKind(row.actor_kind), row.actor_id, row.actor_display),
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        correlation_id=row.correlation_id,
        reason=row.reason,
    )
    return AuditRecord(entry, row.seq, row.prev_hash, row.hash)


def _conditions(tenant_id: str, where: AuditFilter) -> list[Any]:
    a = t.audit_records
    found = [a.c.tenant_id == tenant_id]
    pairs = [
        (a.c.resource_type, where.resource_type),
        (a.c.resource_id, where.resource_id),
        (a.c.actor_id, where.actor_id),
        (a.c.actor_kind, where.actor_kind.value if where.actor_kind else None),
        (a.c.action, where.action),
    ]
    found.extend(column == value for column, value in pairs if value is not None)
    if where.since is not None:
        found.append(a.c.at >= where.since)
    if where.until is not None:
        found.append(a.c.at < where.until)
    return found


class AuditSql:
    conn: Connection
    audit_enabled: bool
    lock_rows: bool

    def lock_audit_head(self, tenant_id: str) -> tuple[int, str]:
        h = t.audit_heads
        if self.lock_rows:  # PostgreSQL: make sure the row exists, then wait for it; SQLite has one writer
            self.conn.execute(
                postgresql.insert(h).values(tenant_id=tenant_id, seq=0, hash=GENESIS).on_conflict_do_nothing()
            )
        query = select(h.c.seq, h.c.hash).where(h.c.tenant_id == tenant_id)
        row = self.conn.execute(query.with_for_update() if self.lock_rows else query).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def add_audit(self, record: AuditRecord) -> None:
        entry = record.entry
        self.conn.execute(
            insert(t.audit_records).values(
                tenant_id=entry.tenant_id,
                seq=record.seq,
                at=entry.at,
                actor_kind=entry.actor.kind.value,
                actor_id=entry.actor.id,
                actor_display=entry.actor.display,
                action=entry.action,
                resource_type=entry.resource_type,
                resource_id=entry.resource_id,
                before=_json(entry.before),
                after=_json(entry.after),
                correlation_id=entry.correlation_id,
                reason=entry.reason,
                prev_hash=record.prev_hash,
                hash=record.hash,
            )
        )
        self._move_head(entry.tenant_id, record.seq, record.hash)

    def _move_head(self, tenant_id: str, seq: int, hash_: str) -> None:
        h = t.audit_heads
        moved = self.conn.execute(update(h).where(h.c.tenant_id == tenant_id).values(seq=seq, hash=hash_))
        if moved.rowcount == 0:
            self.conn.execute(insert(h).values(tenant_id=tenant_id, seq=seq, hash=hash_))

    def list_audit(self, tenant_id: str, where: AuditFilter, *, skip: int, top: int) -> Page[AuditRecord]:
        a = t.audit_records
        conditions = _conditions(tenant_id, where)
        total = self.conn.execute(select(func.count()).select_from(a).where(*conditions)).scalar_one()
        rows = self.conn.execute(select(a).where(*conditions).order_by(a.c.seq.desc()).offset(skip).limit(top))
        return Page([_record(row) for row in rows], int(total))

    def audit_after(self, tenant_id: str, after_seq: int, limit: int) -> list[AuditRecord]:
        a = t.audit_records
        query = select(a).where(a.c.tenant_id == tenant_id, a.c.seq > after_seq).order_by(a.c.seq).limit(limit)
        return [_record(row) for row in self.conn.execute(query)]

    def audit_heads(self) -> list[tuple[str, int, str]]:
        h = t.audit_heads
        rows = self.conn.execute(select(h.c.tenant_id, h.c.seq, h.c.hash).order_by(h.c.tenant_id))
        return [(tenant, int(seq), str(hash_)) for tenant, seq, hash_ in rows]

    def has_audit(self, tenant_id: str, resource_type: str | None, resource_id: str) -> bool:
        a = t.audit_records
        conditions = [a.c.tenant_id == tenant_id, a.c.resource_id == resource_id]
        if resource_type is not None:
            conditions.append(a.c.resource_type == resource_type)
        return self.conn.execute(select(a.c.seq).where(*conditions).limit(1)).first() is not None
