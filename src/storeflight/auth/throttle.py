"""Attempt limits for the token endpoints: a token bucket per key (client id, source address), with a clock."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_KEYS = 100_000  # keys come from clients (any client id, any address): the table is bounded


class AttemptLimiter:
    """At most `limit` attempts per `window` seconds for each key, refilled steadily (a token bucket).

    A `limit` of 0 turns the limiter off. `attempt` counts one attempt and returns None when it is allowed, or
    the number of seconds (at least 1) after which the next attempt will be.
    """

    def __init__(
        self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        self.limit = limit
        self.rate = limit / window if limit else 0.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, when they were counted)
        self._lock = threading.Lock()

    def attempt(self, key: str) -> int | None:
        if not self.limit:
            return None
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))

    def _tokens(self, key: str, now: float) -> float:
        found = self._buckets.get(key)
        if found is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            return float(self.limit)
        tokens, then = found
        return min(float(self.limit), tokens + (now - then) * self.rate)

    def _prune(self, now: float) -> None:
        """Forget the keys whose buckets have refilled (they behave as new ones); if none has, the oldest half."""
        full = [key for key, (tokens, then) in self._buckets.items() if tokens + (now - then) * self.rate >= self.limit]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            oldest = sorted(self._buckets, key=lambda key: self._buckets[key][1])[: self.max_keys // 2]
            for key in oldest:
                del self._buckets[key]


class TokenThrottle:
    """The token endpoints' two limits: attempts per source address, then per client id."""

    def __init__(self, per_client: int, per_address: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clients = AttemptLimiter(per_client, clock=clock)
        self.addresses = AttemptLimiter(per_address, clock=clock)

    def address(self, address: str) -> int | None:
        return self.addresses.attempt(address)

    def client(self, client_id: str) -> int | None:
        return self.clients.attempt(client_id.lower())
