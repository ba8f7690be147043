"""Device credentials and per-app device settings: plain frozen records, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "sfdk_"  # delivery keys: greppable in logs and secret scanners, never an API token
URL_PREFIX = "sfdu_"  # per-device URL tokens
DEFAULT_RATE = 600  # requests per minute of one key (or one device URL)
MAX_RATE = 1_000_000
DEFAULT_HOURS = 24  # App Installer's own default for HoursBetweenUpdateChecks
MAX_HOURS = 255


@dataclass(frozen=True)
class DeliveryKey:
    """A credential for the device endpoints of one app (or, with `app_id` None, of every app of a tenant)."""

    id: str
    tenant_id: str
    app_id: str | None
    name: str
    secret_hash: str
    rate_per_minute: int
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class DeviceUrl:
    """A per-device URL: its token (stored hashed) names the tenant, the app and the customer."""

    id: str
    tenant_id: str
    app_id: str
    customer_id: str
    token_hash: str
    rate_per_minute: int
    created_at: datetime
    key_id: str | None = None  # the delivery key it was enrolled with; None when a publisher created it
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Framework:
    """Where one framework package (a dependency of the app's packages) lives, for App Installer files."""

    name: str
    publisher: str
    version: str
    architecture: str
    uri: str


@dataclass(frozen=True)
class DeviceSettings:
    """How an app's devices are served: anonymous delivery, and what its App Installer files ask for."""

    app_id: str
    tenant_id: str
    public: bool = False
    hours_between_update_checks: int = DEFAULT_HOURS
    automatic_background_task: bool = False
    force_update_from_any_version: bool = False
    frameworks: tuple[Framework, ...] = ()


@dataclass(frozen=True)
class DevicePrincipal:
    """Who is asking on a device endpoint: always one app of one tenant.

    `key_id` is set for the key form, `url_id` for a per-device URL, neither for anonymous delivery of a
    public app. `customer_id` is the customer a device URL names, or the key form's `customerId` query
    parameter (None when the request did not give one).
    """

    tenant_id: str
    app_id: str
    key_id: str | None
    url_id: str | None
    customer_id: str | None

    @property
    def credential(self) -> str:
        """What its rate limit is counted against."""
        return self.url_id or self.key_id or f"public:{self.app_id}"
