"""Who may ask on the device endpoints: credentials looked up by hash and remembered briefly, and rate limits.

Lookups are remembered for `ttl` seconds per process, so a revocation (from any process) takes effect within
`ttl` without costing every device request a query; an expiry takes effect at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from storeflight.auth.secrets import hash_secret
from storeflight.auth.throttle import AttemptLimiter
from storeflight.devices.model import DeliveryKey, DeviceSettings, DeviceUrl
from storeflight.domain.errors import Throttled
from storeflight.storage.protocol import Store, Tx

T = TypeVar("T")
MAX_ENTRIES = 100_000  # credentials come from clients (any string): the memory is bounded


class AppFacts(NamedTuple):
    """What the device endpoints need of an app besides its delivery snapshot."""

    tenant_id: str | None  # None: no such app
    settings: DeviceSettings | None  # None: no such app
    identity_name: str = ""
    publisher: str = ""


class DeviceGate:
    def __init__(self, store: Store, *, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self.ttl, self.clock = store, ttl, clock
        self._keys: dict[str, tuple[float, DeliveryKey | None]] = {}
        self._urls: dict[str, tuple[float, DeviceUrl | None]] = {}
        self._apps: dict[str, tuple[float, AppFacts]] = {}
        self._limits: dict[int, AttemptLimiter] = {}

    def key(self, secret: str) -> DeliveryKey | None:
        """The delivery key with this secret (perhaps revoked or expired), or None."""
        return self._remembered(self._keys, hash_secret(secret), lambda tx, h: tx.delivery_key_by_hash(h))

    def url(self, token: str) -> DeviceUrl | None:
        """The device URL with this token (perhaps revoked), or None."""
        return self._remembered(self._urls, hash_secret(token), lambda tx, h: tx.device_url_by_hash(h))

    def app(self, app_id: str) -> AppFacts:
        """The app's tenant (None when there is no such app) and its device settings (None: the defaults)."""
        return self._remembered(self._apps, app_id, _app_facts)

    def throttle(self, credential: str, rate_per_minute: int) -> None:
        """Count one request of this credential; Throttled (429, Retry-After) past its rate."""
        limiter = self._limits.get(rate_per_minute)
        if limiter is None:
            limiter = self._limits.setdefault(rate_per_minute, AttemptLimiter(rate_per_minute))
        wait = limiter.attempt(credential)
        if wait is not None:
            raise Throttled(wait)

    def forget(self) -> None:
        """Drop everything remembered (the next requests look their credentials up again)."""
        self._keys.clear()
        self._urls.clear()
        self._apps.clear()

    def _remembered(self, memo: dict[str, tuple[float, T]], name: str, load: Callable[[Tx, str], T]) -> T:
        now = self.clock()
        found = memo.get(name)
        if found is not None and now - found[0] <= self.ttl:
            return found[1]
        with self.store.transaction(write=False) as tx:
            value = load(tx, name)
        if len(memo) >= MAX_ENTRIES:
            memo.clear()
        memo[name] = (now, value)
        return value


def _app_facts(tx: Tx, app_id: str) -> AppFacts:
    tenant = tx.app_tenant(app_id)
    app = tx.get_app(tenant, app_id) if tenant is not None else None
    if app is None:
        return AppFacts(None, None)
    settings = tx.get_device_settings(app_id) or DeviceSettings(app_id, app.tenant_id)
    return AppFacts(app.tenant_id, settings, app.identity_name, app.publisher)
