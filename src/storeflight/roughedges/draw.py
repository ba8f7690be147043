"""Seeded random streams: one per (tenant, purpose), so a run with the same seed and requests repeats exactly."""

from __future__ import annotations

import math
import random
import threading

from storeflight.roughedges.profile import Distribution, Exponential, Fixed, LogNormal, Uniform

MAX_STREAMS = 100_000


def sample(distribution: Distribution, rng: random.Random) -> float:
    """Seconds drawn from `distribution` (unscaled, never negative, capped at its `max`)."""
    if isinstance(distribution, Fixed):
        return distribution.value
    if isinstance(distribution, Uniform):
        return rng.uniform(distribution.low, distribution.high)
    if isinstance(distribution, Exponential):
        drawn = rng.expovariate(1.0 / distribution.mean) if distribution.mean > 0 else 0.0
        return min(drawn, distribution.max)
    assert isinstance(distribution, LogNormal)
    return min(rng.lognormvariate(math.log(distribution.median), distribution.sigma), distribution.max)


class Streams:
    """Independent `random.Random` streams keyed by strings, each seeded from the profile seed and its key.

    A tenant's draws never depend on another tenant's traffic. Thread-safe (the server draws on the event
    loop and in request threads, the worker in its own thread).
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[tuple[str, ...], random.Random] = {}
        self._lock = threading.Lock()

    def _stream(self, key: tuple[str, ...]) -> random.Random:
        rng = self._streams.get(key)
        if rng is None:
            if len(self._streams) >= MAX_STREAMS:  # bounded: tenants come and go
                self._streams.clear()
            rng = self._streams[key] = random.Random("/".join((str(self.seed), *key)))
        return rng

    def uniform(self, *key: str) -> float:
        """The next number in [0, 1) of the stream `key`."""
        with self._lock:
            return self._stream(key).random()

    def seconds(self, distribution: Distribution, *key: str) -> float:
        """The next draw from `distribution` in the stream `key`."""
        with self._lock:
            return sample(distribution, self._stream(key))
