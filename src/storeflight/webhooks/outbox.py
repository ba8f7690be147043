"""Filling the outbox in the transaction of the change: an event row and one delivery per subscription."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storeflight.audit.model import Entry
from storeflight.webhooks import events
from storeflight.webhooks.model import Event, EventType

if TYPE_CHECKING:
    from storeflight.storage.protocol import RecordingTx


def on_audited(tx: RecordingTx, entry: Entry) -> None:
    """Write the events an audited change is, for the tenant's subscriptions that want them (nothing when
    none do). Called by `audit.record` for every change, before it is appended to the history."""
    if entry.action not in events.ACTIONS:
        return
    kinds = events.types_of(entry)
    if not kinds:
        return
    subscriptions = tx.webhook_subscriptions(entry.tenant_id)
    if not subscriptions:
        return
    subject = tx.webhook_subject(entry.tenant_id, entry.resource_type, entry.resource_id)
    app_id = subject.get("applicationId")
    for kind in kinds:
        wanting = [s.id for s in subscriptions if s.wants(kind, app_id)]
        if wanting:
            emit(tx, entry.tenant_id, app_id, kind, events.data(entry, kind, subject), entry.at, wanting)


def emit(
    tx: RecordingTx,
    tenant_id: str,
    app_id: str | None,
    kind: EventType,
    data: dict[str, Any],
    at: datetime,
    subscription_ids: list[str],
) -> tuple[Event, list[str]]:
    """Store an event and a pending delivery of it to each subscription, due now; it and the delivery ids."""
    event = Event(str(uuid.uuid4()), tenant_id, app_id, kind, at, data)
    return event, tx.add_webhook_event(event, subscription_ids)
