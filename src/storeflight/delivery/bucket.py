"""Rollout buckets: a deterministic, uniform position of a customer in a rollout's ordering."""

from __future__ import annotations

from hashlib import blake2b
from typing import Any

Hasher = Any  # a BLAKE2b object (hashlib does not name its type)

BUCKETS = 1_000_000  # resolution 0.0001% of customers
_PER_PERCENT = BUCKETS // 100


def bucket(customer_id: str, seed: str) -> int:
    """The customer's bucket in [0, BUCKETS) for the rollout ordering `seed`.

    64 bits of BLAKE2b of seed NUL customer id, mapped by multiply-shift (no modulo bias). Submissions that
    share a seed (a submission created after a halt copies the halted one's) order customers identically.
    """
    digest = blake2b(f"{seed}\0{customer_id}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") * BUCKETS) >> 64


def seeded(seed: str) -> Hasher:
    """BLAKE2b fed `seed` NUL, to be copied for each customer of that ordering (`bucket_in`)."""
    return blake2b(f"{seed}\0".encode(), digest_size=8)


def bucket_in(hasher: Hasher, customer_id: str) -> int:
    """`bucket(customer_id, seed)` for the `hasher` that `seeded(seed)` made: the same bytes are hashed."""
    h = hasher.copy()
    h.update(customer_id.encode())
    return (int.from_bytes(h.digest(), "big") * BUCKETS) >> 64


def threshold(percentage: float) -> int:
    """Buckets below the threshold are inside a rollout at `percentage` (clamped to 0-100)."""
    return min(BUCKETS, max(0, round(percentage * _PER_PERCENT)))


def inside(customer_id: str, seed: str, percentage: float) -> bool:
    """Whether the customer is inside a rollout at `percentage`. Monotonic in the percentage."""
    return bucket(customer_id, seed) < threshold(percentage)
