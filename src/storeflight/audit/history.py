"""Reading a tenant's audit history: filtered pages, and every record in chain order for an export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal, get_args

from storeflight.audit.model import AuditFilter, AuditRecord
from storeflight.domain.errors import InvalidParameterValue, NotFound

if TYPE_CHECKING:
    from storeflight.storage.protocol import AuditTx, Page, Store

ResourceType = Literal[
    "application",
    "flight",
    "group",
    "submission",
    "client",
    "delivery_key",
    "device_url",
    "device_settings",
    "rollout_plan",
    "approvalrule",
    "pendingchange",
    "webhook",
]
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType)
EXPORT_BATCH = 500


def check(where: AuditFilter) -> AuditFilter:
    """InvalidParameterValue for a filter no record can match by construction."""
    if where.resource_type is not None and where.resource_type not in RESOURCE_TYPES:
        known = ", ".join(RESOURCE_TYPES)
        raise InvalidParameterValue(f"resourceType must be one of {known}.", target="resourceType")
    return where


def page(tx: AuditTx, tenant_id: str, where: AuditFilter, *, skip: int, top: int) -> Page[AuditRecord]:
    """A page of the tenant's matching records, newest first. A resource the tenant's history never names
    (another tenant's, or none at all) is NotFound, as every other read of it is."""
    check(where)
    if where.resource_id is not None and not tx.has_audit(tenant_id, where.resource_type, where.resource_id):
        raise NotFound(f"No history of the resource '{where.resource_id}'.", target="resourceId")
    return tx.list_audit(tenant_id, where, skip=skip, top=top)


def chain(store: Store, tenant_id: str, *, after_seq: int = 0) -> Iterator[AuditRecord]:
    """Every record of the tenant's chain after `after_seq`, oldest first, read in bounded batches (each
    batch its own read transaction, so an export of any size holds no transaction open for long)."""
    while True:
        with store.transaction(write=False) as tx:
            batch = tx.audit_after(tenant_id, after_seq, EXPORT_BATCH)
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        after_seq = batch[-1].seq


def matches(record: AuditRecord, where: AuditFilter) -> bool:
    """Whether a record passes a filter (the export applies the API's filter to the chain it streams)."""
    e = record.entry
    fields = [
        (where.resource_type, e.resource_type),
        (where.resource_id, e.resource_id),
        (where.actor_id, e.actor.id),
        (where.actor_kind, e.actor.kind),
        (where.action, e.action),
    ]
    if any(wanted is not None and wanted != value for wanted, value in fields):
        return False
    return (where.since is None or e.at >= where.since) and (where.until is None or e.at < where.until)
