"""The audit history's chains (mixed into SqlTx): insert-only records and one head row per tenant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
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


# Built once: appending runs in every audited change, and a prebuilt statement skips SQLAlchemy's per-call
# statement construction and cache-key work (bench/audit_bench.py).
_H = t.audit_heads
_SQLITE_READ_HEAD = "SELECT seq, hash FROM audit_heads WHERE tenant_id = ?"
_PG_LOCK_HEAD = (
    postgresql.insert(_H)
    .on_conflict_do_update(index_elements=[_H.c.tenant_id], set_={"seq": _H.c.seq})  # a no-op that locks the row
    .returning(_H.c.seq, _H.c.hash)
)


_SQLITE_UPSERT = sqlite.insert(_H)
_SQLITE_MOVE_HEAD = _SQLITE_UPSERT.on_conflict_do_update(  # INSERT the head, or move it to the new last record
    index_elements=[_H.c.tenant_id], set_={"seq": _SQLITE_UPSERT.excluded.seq, "hash": _SQLITE_UPSERT.excluded.hash}
)
_INSERT_RECORD = insert(t.audit_records)
_COLUMNS = [c.name for c in t.audit_records.columns]
_QUOTED = ", ".join(f'"{c}"' for c in _COLUMNS)
# PostgreSQL: the record and the head's move in one statement (one round trip instead of two).
_PG_APPEND = text(
    f"WITH record AS (INSERT INTO audit_records ({_QUOTED}) "
    f"VALUES ({', '.join(':' + c for c in _COLUMNS)})) "
    "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (:tenant_id, :seq, :hash) "
    "ON CONFLICT (tenant_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash"
)


class AuditSql:
    conn: Connection
    audit_enabled: bool
    lock_rows: bool

    def lock_audit_head(self, tenant_id: str) -> tuple[int, str]:
        if self.lock_rows:  # PostgreSQL: one statement creates the row if need be and waits for its lock
            row = self.conn.execute(_PG_LOCK_HEAD, {"tenant_id": tenant_id, "seq": 0, "hash": GENESIS}).first()
        else:  # SQLite has one writer: a plain read
            row = self.conn.exec_driver_sql(_SQLITE_READ_HEAD, (tenant_id,)).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def add_audit(self, record: AuditRecord) -> None:
        entry = record.entry
        values = {
            "tenant_id": entry.tenant_id,
            "seq": record.seq,
            "at": entry.at,
            "actor_kind": entry.actor.kind.value,
            "actor_id": entry.actor.id,
            "actor_display": entry.actor.display,
            "action": entry.action,
            "resource_type": entry.resource_type,
            "resource_id": entry.resource_id,
            "before": _json(entry.before),
            "after": _json(entry.after),
            "correlation_id": entry.correlation_id,
            "reason": entry.reason,
            "prev_hash": record.prev_hash,
            "hash": record.hash,
        }
        if self.lock_rows:
            self.conn.execute(_PG_APPEND, values)
            return
        self.conn.execute(_INSERT_RECORD, values)
        self.conn.execute(_SQLITE_MOVE_HEAD, {"tenant_id": entry.tenant_id, "seq": record.seq, "hash": record.hash})

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
