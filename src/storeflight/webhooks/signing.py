"""The signature receivers check and the retry schedule: pure functions of their inputs."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from storeflight.domain import dates
from storeflight.webhooks.model import Event

SIGNATURE_VERSION = "v1"
HEADER_ID = "Storeflight-Event-Id"
HEADER_TYPE = "Storeflight-Event-Type"
HEADER_TIMESTAMP = "Storeflight-Timestamp"
HEADER_SIGNATURE = "Storeflight-Signature"
HEADER_ATTEMPT = "Storeflight-Delivery-Attempt"


def body(event: Event) -> bytes:
    """The JSON every receiver gets: {id, type, occurredAt, tenantId, appId, data}."""
    payload: dict[str, Any] = {
        "id": event.id,
        "type": event.type.value,
        "occurredAt": dates.render(event.occurred_at),
        "tenantId": event.tenant_id,
        "appId": event.app_id,
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def signature(secret: str, timestamp: int, content: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256, keyed by the subscription's secret, of `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + content, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(secret: str, timestamp: int, content: bytes, header: str) -> bool:
    """What a receiver does (docs/webhooks.md shows the same in plain Python)."""
    return hmac.compare_digest(signature(secret, timestamp, content), header)


def headers(event: Event, secret: str, timestamp: int, content: bytes, attempt: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "storeflight-webhooks",
        HEADER_ID: event.id,
        HEADER_TYPE: event.type.value,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature(secret, timestamp, content),
        HEADER_ATTEMPT: str(attempt),
    }


@dataclass(frozen=True)
class Backoff:
    """Retries: the n-th failed attempt waits first * factor**(n-1) (at most `cap`), spread by +-`jitter`;
    after `attempts` failed attempts the delivery is dead. Defaults: 8 attempts over about 18 hours."""

    attempts: int = 8
    first: timedelta = timedelta(minutes=1)
    factor: float = 3.0
    cap: timedelta = timedelta(hours=12)
    jitter: float = 0.2

    def delay(self, failed: int, draw: float) -> timedelta | None:
        """How long after the `failed`-th failed attempt the next one is due; None: give up.
        `draw` is a uniform number in [0, 1) (the caller's randomness)."""
        if failed >= self.attempts:
            return None
        base = min(self.first.total_seconds() * self.factor ** (failed - 1), self.cap.total_seconds())
        spread = 1 + self.jitter * (2 * draw - 1)
        return timedelta(seconds=base * spread)
