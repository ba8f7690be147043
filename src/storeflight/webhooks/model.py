"""Subscriptions, events and deliveries as plain records, the event types, and the URL rule: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from storeflight.domain.errors import InvalidParameterValue

MAX_URL = 2048


class EventType(StrEnum):
    ROLLOUT_HALTED = "rollout.halted"
    ROLLOUT_PERCENTAGE_CHANGED = "rollout.percentage_changed"
    ROLLOUT_FINALIZED = "rollout.finalized"
    PLAN_STEP_ADVANCED = "plan.step_advanced"
    PLAN_PAUSED = "plan.paused"
    PLAN_RESUMED = "plan.resumed"
    PLAN_ABORTED = "plan.aborted"
    PLAN_FINISHED = "plan.finished"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_APPROVED = "approval.approved"
    APPROVAL_REFUSED = "approval.refused"
    APPROVAL_EXPIRED = "approval.expired"
    SUBMISSION_STATUS_CHANGED = "submission.status_changed"  # every move: the commit, each pipeline stage
    SUBMISSION_PUBLISHED = "submission.published"
    SUBMISSION_FAILED = "submission.failed"
    PING = "webhook.ping"  # only the subscription's own test sends it


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # a receiver answered 2xx
    DEAD = "dead"  # every attempt failed; no more are made


@dataclass(frozen=True)
class Subscription:
    id: str
    tenant_id: str
    app_id: str | None  # None: every app of the tenant
    url: str
    event_types: tuple[EventType, ...]  # empty: every event type
    enabled: bool
    created_at: datetime
    created_by: str

    def wants(self, event_type: EventType, app_id: str | None) -> bool:
        if not self.enabled or event_type == EventType.PING:
            return False
        if self.event_types and event_type not in self.event_types:
            return False
        return self.app_id is None or self.app_id == app_id


@dataclass(frozen=True)
class Event:
    """One outbox row: what happened, once, however many subscriptions receive it."""

    id: str  # a UUID: receivers drop a repeated id
    tenant_id: str
    app_id: str | None
    type: EventType
    occurred_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class Attempt:
    number: int
    at: datetime
    status_code: int | None  # None: no answer (connection refused, timeout)
    error: str | None  # None: a 2xx
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    id: str
    event: Event
    subscription_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    log: tuple[Attempt, ...] = ()


def check_url(url: object) -> str:
    """The URL a subscription posts to: http or https, a host, no user name or password in it."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise InvalidParameterValue(f"The url must be a string of 1 to {MAX_URL} characters.", target="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidParameterValue("The url is not a valid URL.", target="url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidParameterValue("The url must be an http or https URL.", target="url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidParameterValue("The url must not hold a user name or password.", target="url")
    if not parts.hostname or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise InvalidParameterValue("The url must name a host and hold no spaces.", target="url")
    return url


def check_types(values: object) -> tuple[EventType, ...]:
    """Event types a subscription asks for; empty (or absent, or ["*"]): all of them."""
    if values is None:
        return ()
    if not isinstance(values, list) or len(values) > len(EventType) or not all(isinstance(v, str) for v in values):
        raise InvalidParameterValue("eventTypes must be a list of event type names.", target="eventTypes")
    if values == ["*"]:
        return ()
    known = {t.value for t in EventType if t != EventType.PING}
    unknown = [v for v in values if v not in known]
    if unknown:
        names = ", ".join(sorted(known))
        raise InvalidParameterValue(f"Unknown event types {unknown}; known: {names}.", target="eventTypes")
    return tuple(dict.fromkeys(EventType(v) for v in values))


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker leased, with where it goes and the sealed secret that signs it."""

    delivery: Delivery
    url: str
    sealed_secret: str
