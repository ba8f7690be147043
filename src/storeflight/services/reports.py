"""Device reports: count a device's batch of events exactly once, in the cohort delivery places the device."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b

from storeflight.delivery.snapshot import Snapshot
from storeflight.storage.protocol import Tx
from storeflight.telemetry.cohort import place, submission_of
from storeflight.telemetry.events import Event
from storeflight.telemetry.tally import hour_of, tally


@dataclass(frozen=True)
class Ingested:
    accepted: int  # events counted now
    duplicates: int  # events whose id was seen before (in an earlier batch or earlier in this one)


def device_key(customer_id: str) -> bytes:
    """The device's key: 16 bytes of BLAKE2b of the customer id as delivery buckets it (trimmed; case counts)."""
    return blake2b(customer_id.strip().encode(), digest_size=16, person=b"sf-device").digest()


def _event_key(app_id: str, device: bytes, event_id: str) -> bytes:
    return blake2b(f"{app_id}\0{event_id}".encode(), digest_size=16, key=device, person=b"sf-event").digest()


def ingest(tx: Tx, snapshot: Snapshot, customer_id: str, events: Sequence[Event], now: datetime) -> Ingested:
    """Count the events (already read and checked) of `customer_id`'s device for the snapshot's app."""
    app_id, tenant_id = snapshot.app.app_id, snapshot.tenant_id
    customer_id = customer_id.strip()
    device = device_key(customer_id)
    unique: dict[bytes, Event] = {}
    for event in events:
        unique.setdefault(_event_key(app_id, device, event.id), event)
    hour = hour_of(now)
    new = tx.add_report_ids(list(unique), hour)
    fresh = [event for key, event in unique.items() if key in new]
    if not fresh:
        return Ingested(0, len(events))
    placement = place(snapshot.app, customer_id, snapshot.groups(customer_id))
    resolved = [(e, submission_of(snapshot.app, placement, e.version, e.submission_id)) for e in fresh]
    previous = tx.lock_device(tenant_id, app_id, device)
    rows, state = tally(placement, resolved, hour, previous)
    tx.add_report_counts(tenant_id, app_id, hour, rows)
    if state is not None:
        tx.save_device(app_id, device, state)
    return Ingested(len(fresh), len(events) - len(fresh))
