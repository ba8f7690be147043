"""Appending to a tenant's chain, in the transaction of the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storeflight.audit.model import Actor, ActorKind, AuditRecord, Entry, link
from storeflight.domain import dates
from storeflight.webhooks import outbox

if TYPE_CHECKING:
    from storeflight.storage.protocol import RecordingTx


def record(
    tx: RecordingTx,
    *,
    tenant_id: str,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str,
    before: Any,
    after: Any,
    correlation_id: str | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> AuditRecord | None:
    """Append a record of a change to the tenant's chain, in `tx` (it commits or rolls back with the change).

    The chain's head stays locked until `tx` ends, so concurrent writers of one tenant append one after
    the other: record a change last in its transaction. None when auditing is switched off.

    The webhook events the change is go to the outbox here too, in `tx`, audited or not."""
    entry = Entry(
        tenant_id=tenant_id,
        at=at or dates.utcnow(),
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        before=before,
        after=after,
        correlation_id=correlation_id,
        reason=reason,
    )
    outbox.on_audited(tx, entry)
    if not tx.audit_enabled:
        return None
    head_seq, head_hash = tx.lock_audit_head(tenant_id)
    appended = link(entry, head_seq, head_hash)
    tx.add_audit(appended)
    return appended


@dataclass(frozen=True)
class Author:
    """Who a change is recorded for, and the request it came with: what use cases without a `Context` take."""

    actor: Actor
    correlation_id: str | None = None

    def record(
        self,
        tx: RecordingTx,
        tenant_id: str,
        action: str,
        resource: tuple[str, str],
        before: Any,
        after: Any,
        *,
        reason: str | None = None,
    ) -> AuditRecord | None:
        """`record` with this author; `resource` is (type, id)."""
        return record(
            tx,
            tenant_id=tenant_id,
            actor=self.actor,
            action=action,
            resource_type=resource[0],
            resource_id=resource[1],
            before=before,
            after=after,
            correlation_id=self.correlation_id,
            reason=reason,
        )


ADMIN = Author(Actor(ActorKind.ADMIN, "admin-cli", "storeflight admin"))
PIPELINE = Author(Actor(ActorKind.SERVER, "pipeline", "ingestion pipeline"))
