"""When to try a request again and how long to wait first. Pure functions, no I/O.

- 429 and 503 are retried for every call: the server did not act on the request. The wait is the
  `Retry-After` header (seconds or an HTTP date) when there is one, else exponential backoff with jitter.
- Other 5xx answers and network errors are retried only for idempotent calls (GET, PUT, DELETE and the
  few POSTs that set a value); a create or a commit that may have reached the server is never sent twice.
- A refused connection is never retried: nothing listens there, and waiting will not change that soon, so
  the caller hears at once (a reset or a timeout may recover and is retried as above).
- A 401 leads to one token refresh and one more try (see auth.py), not to a backoff.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

ALWAYS_RETRY = frozenset({429, 503})
IDEMPOTENT_RETRY = frozenset({500, 502, 504})
MAX_RETRY_AFTER = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0


def should_retry_status(status: int, idempotent: bool) -> bool:
    return status in ALWAYS_RETRY or (idempotent and status in IDEMPOTENT_RETRY)


def should_retry_error(error: Exception, idempotent: bool) -> bool:
    """Network failures (no answer at all) are retried only when sending twice is harmless, and never a refusal."""
    return idempotent and isinstance(error, httpx.TransportError) and not is_refused(error)


def is_refused(error: BaseException) -> bool:
    """True when the connection was refused (nothing listens at the address), anywhere in the cause chain."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP date (`now` is epoch seconds)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff(attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: half the step fixed, half random (attempt counts from 0)."""
    step = min(policy.max_delay, policy.base_delay * 2.0**attempt)
    return float(step / 2 + rand() * step / 2)


def delay_for(
    attempt: int,
    policy: RetryPolicy,
    headers: Mapping[str, str] | None,
    now: float,
    rand: Callable[[], float] = random.random,
) -> float:
    value = headers.get("retry-after") if headers is not None else None
    retry_after = parse_retry_after(value, now)
    return retry_after if retry_after is not None else backoff(attempt, policy, rand)


def next_delay(
    attempt: int,
    policy: RetryPolicy,
    idempotent: bool,
    *,
    now: float,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    error: Exception | None = None,
) -> float | None:
    """Seconds to wait before try number `attempt + 1`, or None when the answer (or `error`) stands.

    The one decision both clients' send loops make after each try.
    """
    if attempt >= policy.max_retries:
        return None
    if error is not None:
        retry = should_retry_error(error, idempotent)
    else:
        retry = status is not None and should_retry_status(status, idempotent)
    return delay_for(attempt, policy, headers, now) if retry else None
