"""Webhook subscriptions, the outbox and its deliveries (mixed into SqlTx); a claim is a lease, like a plan's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from storeflight.audit.model import canonical
from storeflight.storage import tables as t
from storeflight.storage.protocol import Page
from storeflight.webhooks.model import (
    Attempt,
    Claimed,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    Subscription,
)

s, e, d, a = t.webhook_subscriptions, t.webhook_events, t.webhook_deliveries, t.webhook_attempts


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite returns naive datetimes (all UTC)
        return value.replace(tzinfo=UTC)
    return value


def _at(value: datetime | None) -> datetime:
    found = _utc(value)
    assert found is not None
    return found


def _subscription(row: Row[Any]) -> Subscription:
    m = row._mapping
    return Subscription(
        id=m["id"],
        tenant_id=m["tenant_id"],
        app_id=m["app_id"],
        url=m["url"],
        event_types=tuple(EventType(v) for v in m["event_types"]),
        enabled=bool(m["enabled"]),
        created_at=_at(m["created_at"]),
        created_by=m["created_by"],
    )


def _event(m: Any) -> Event:
    return Event(
        id=m["event_id"],
        tenant_id=m["event_tenant"],
        app_id=m["event_app"],
        type=EventType(m["type"]),
        occurred_at=_at(m["occurred_at"]),
        data=json.loads(m["data"]),
    )


def _delivery(row: Row[Any], log: tuple[Attempt, ...] = ()) -> Delivery:
    m = row._mapping
    return Delivery(
        id=m["id"],
        event=_event(m),
        subscription_id=m["subscription_id"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=_utc(m["next_attempt_at"]),
        created_at=_at(m["created_at"]),
        delivered_at=_utc(m["delivered_at"]),
        last_status_code=m["last_status_code"],
        last_error=m["last_error"],
        log=log,
    )


_JOINED = (
    d,
    e.c.tenant_id.label("event_tenant"),
    e.c.app_id.label("event_app"),
    e.c.type,
    e.c.occurred_at,
    e.c.data,
)


def _joined() -> Any:
    return select(*_JOINED).select_from(d.join(e, e.c.id == d.c.event_id))


class WebhooksSql:
    conn: Connection
    lock_rows: bool

    def add_webhook(self, subscription: Subscription, sealed_secret: str) -> None:
        values = {**subscription.__dict__, "event_types": [v.value for v in subscription.event_types]}
        self.conn.execute(insert(s).values(**values, secret=sealed_secret))

    def get_webhook(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        row = self.conn.execute(select(s).where(s.c.id == subscription_id, s.c.tenant_id == tenant_id)).first()
        return _subscription(row) if row is not None else None

    def set_webhook_enabled(self, subscription_id: str, enabled: bool) -> None:
        self.conn.execute(update(s).where(s.c.id == subscription_id).values(enabled=enabled))

    def webhook_subscriptions(self, tenant_id: str) -> list[Subscription]:
        rows = self.conn.execute(select(s).where(s.c.tenant_id == tenant_id).order_by(s.c.created_at, s.c.id))
        return [_subscription(row) for row in rows]

    def delete_webhook(self, subscription_id: str) -> None:
        ids = select(d.c.id).where(d.c.subscription_id == subscription_id).scalar_subquery()
        events = set(self.conn.scalars(select(d.c.event_id).where(d.c.subscription_id == subscription_id)))
        self.conn.execute(delete(a).where(a.c.delivery_id.in_(ids)))
        self.conn.execute(delete(d).where(d.c.subscription_id == subscription_id))
        self._forget_unnamed(events)
        self.conn.execute(delete(s).where(s.c.id == subscription_id))

    def _forget_unnamed(self, events: set[str]) -> None:
        """Forget those of `events` no delivery names any more."""
        if events:
            named = select(d.c.event_id).where(d.c.event_id.in_(events))
            self.conn.execute(delete(e).where(e.c.id.in_(events), e.c.id.not_in(named)))

    def prune_webhook_deliveries(self, before: datetime, limit: int) -> int:
        done = [DeliveryStatus.DELIVERED.value, DeliveryStatus.DEAD.value]
        old = select(d.c.id, d.c.event_id).where(d.c.status.in_(done), d.c.created_at < before).limit(limit)
        rows = list(self.conn.execute(old))
        if not rows:
            return 0
        ids, events = [r.id for r in rows], {r.event_id for r in rows}
        self.conn.execute(delete(a).where(a.c.delivery_id.in_(ids)))
        self.conn.execute(delete(d).where(d.c.id.in_(ids)))
        self._forget_unnamed(events)
        return len(rows)

    def forget_app_webhooks(self, app_id: str) -> None:
        for subscription_id in list(self.conn.scalars(select(s.c.id).where(s.c.app_id == app_id))):
            self.delete_webhook(subscription_id)

    def webhook_subject(self, tenant_id: str, resource_type: str, resource_id: str) -> dict[str, Any]:
        table = {"submission": t.submissions, "rollout_plan": t.rollout_plans, "pendingchange": t.pending_changes}
        found = table.get(resource_type)
        if found is None:
            return {}
        sub_id = found.c.id if found is t.submissions else found.c.submission_id
        sub = t.submissions
        query = (
            select(found.c.app_id, sub.c.flight_id, sub_id.label("submission_id"))
            .select_from(found.outerjoin(sub, sub.c.id == sub_id) if found is not t.submissions else found)
            .where(found.c.id == resource_id, found.c.tenant_id == tenant_id)
        )
        row = self.conn.execute(query).first()
        if row is None:
            return {}
        subject = {"applicationId": row.app_id, "flightId": row.flight_id, "submissionId": row.submission_id}
        if resource_type == "rollout_plan":
            subject["planId"] = resource_id
        elif resource_type == "pendingchange":
            subject["pendingChangeId"] = resource_id
        return subject

    def add_webhook_event(self, event: Event, subscription_ids: Sequence[str]) -> list[str]:
        self.conn.execute(
            insert(e).values(
                id=event.id,
                tenant_id=event.tenant_id,
                app_id=event.app_id,
                type=event.type.value,
                occurred_at=event.occurred_at,
                data=canonical(event.data),
            )
        )
        ids = [str(uuid.uuid4()) for _ in subscription_ids]
        rows = [
            {
                "id": delivery_id,
                "event_id": event.id,
                "subscription_id": subscription_id,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": event.occurred_at,
                "created_at": event.occurred_at,
            }
            for delivery_id, subscription_id in zip(ids, subscription_ids, strict=True)
        ]
        if rows:
            self.conn.execute(insert(d), rows)
        return ids

    def claim_webhook_deliveries(
        self, *, now: datetime, owner: str, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        other = d.alias("other")
        busy = (
            select(other.c.id)
            .where(other.c.subscription_id == d.c.subscription_id, other.c.lease_until >= now, other.c.id != d.c.id)
            .exists()
        )
        free = d.c.lease_until.is_(None) | (d.c.lease_until < now)
        ids = self._due_deliveries(now, free & ~busy, limit)
        if not ids:
            return []
        # `busy` again, when leasing: a subscription another worker leased a delivery of since counts as busy
        leased = update(d).where(d.c.id.in_(ids), free, ~busy).values(lease_owner=owner, lease_until=lease_until)
        self.conn.execute(leased)
        query = (
            select(*_JOINED, s.c.url, s.c.secret)
            .select_from(d.join(e, e.c.id == d.c.event_id).join(s, s.c.id == d.c.subscription_id))
            .where(d.c.id.in_(ids), d.c.lease_owner == owner)
        )
        return [Claimed(_delivery(row), row.url, row.secret) for row in self.conn.execute(query)]

    def _due_deliveries(self, now: datetime, claimable: Any, limit: int) -> list[str]:
        """The oldest due delivery of up to `limit` subscriptions. On PostgreSQL the deliveries and their
        subscriptions are locked (skipping those other claims hold), so two workers never both lease a
        delivery of one subscription."""
        wanted = (
            select(s.c.id).where(s.c.id == d.c.subscription_id, s.c.enabled).exists()
            | select(e.c.id).where(e.c.id == d.c.event_id, e.c.type == EventType.PING.value).exists()
        )
        due = select(d.c.id, d.c.subscription_id).where(d.c.next_attempt_at <= now, claimable, wanted)
        due = due.order_by(d.c.next_attempt_at, d.c.seq).limit(limit * 4)
        if self.lock_rows:
            due = due.with_for_update(skip_locked=True, of=d)
        picked: dict[str, str] = {}
        for row in self.conn.execute(due):
            picked.setdefault(row.subscription_id, row.id)
        if self.lock_rows and picked:
            mine = select(s.c.id).where(s.c.id.in_(list(picked))).with_for_update(skip_locked=True)
            held = set(self.conn.scalars(mine))
            picked = {sub: delivery for sub, delivery in picked.items() if sub in held}
        return list(picked.values())[:limit]

    def finish_webhook_attempt(
        self, delivery_id: str, *, owner: str, attempt: Attempt, status: DeliveryStatus, next_at: datetime | None
    ) -> bool:
        values: dict[str, Any] = {
            "status": status.value,
            "attempts": attempt.number,
            "next_attempt_at": next_at,
            "lease_owner": None,
            "lease_until": None,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
        }
        if status == DeliveryStatus.DELIVERED:
            values["delivered_at"] = attempt.at
        where = and_(d.c.id == delivery_id, d.c.lease_owner == owner, d.c.attempts == attempt.number - 1)
        if self.conn.execute(update(d).where(where).values(**values)).rowcount != 1:
            return False
        log = {"attempt": attempt.number, "at": attempt.at, "status_code": attempt.status_code}
        self.conn.execute(
            insert(a).values(delivery_id=delivery_id, **log, error=attempt.error, duration_ms=attempt.duration_ms)
        )
        return True

    def webhook_deliveries(self, subscription_id: str, *, skip: int, top: int) -> Page[Delivery]:
        total = self.conn.scalar(select(func.count()).select_from(d).where(d.c.subscription_id == subscription_id))
        query = _joined().where(d.c.subscription_id == subscription_id).order_by(d.c.seq.desc())
        rows = list(self.conn.execute(query.offset(skip).limit(top)))
        logs: dict[str, list[Attempt]] = {row.id: [] for row in rows}
        if logs:
            found = self.conn.execute(select(a).where(a.c.delivery_id.in_(list(logs))).order_by(a.c.attempt))
            for r in found:
                logs[r.delivery_id].append(Attempt(r.attempt, _at(r.at), r.status_code, r.error, r.duration_ms))
        return Page([_delivery(row, tuple(logs[row.id])) for row in rows], total or 0)
