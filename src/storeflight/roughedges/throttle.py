"""Token buckets per tenant and operation: pure, with the clock passed in."""

from __future__ import annotations

import math
from dataclasses import dataclass

from storeflight.roughedges.profile import Bucket

MAX_BUCKETS = 100_000


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled at `per_second`; each request takes one."""

    capacity: float
    per_second: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rule: Bucket, now: float) -> TokenBucket:
        return cls(rule.capacity, rule.requests_per_minute / 60.0, rule.capacity, now)

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: now). Refills first."""
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.per_second

    def take(self) -> None:
        self.tokens -= 1.0


class Throttle:
    """A request passes when the tenant-wide bucket (`"*"`) and its operation's bucket both have a token.

    A refused request takes no token. When more than MAX_BUCKETS tenants were seen, all start over full.
    """

    def __init__(self, rules: dict[str, Bucket]) -> None:
        self.rules = rules
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def admit(self, tenant: str, operation: str, now: float) -> int:
        """0 when the request may go on (tokens taken), else whole seconds to wait (at least 1)."""
        buckets = [self._bucket(tenant, name, now) for name in ("*", operation) if name in self.rules]
        wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait - 1e-9))  # 1.0000000000000002 s is 1 s
        for bucket in buckets:
            bucket.take()
        return 0

    def _bucket(self, tenant: str, name: str, now: float) -> TokenBucket:
        key = (tenant, name)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets.clear()
            bucket = self._buckets[key] = TokenBucket.full(self.rules[name], now)
        return bucket
