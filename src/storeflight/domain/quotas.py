"""Per-tenant quotas: how much one tenant may keep (group members, groups, flights, packages, stored bytes)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from storeflight.domain.errors import QuotaExceeded

GIB = 2**30

# The names clients see in errors (and the serve options' names, `--quota-<name>`).
WIRE_NAMES = {
    "members": "members",
    "groups": "groups",
    "flights": "flights",
    "packages": "packages",
    "stored_bytes": "storedBytes",
}


@dataclass(frozen=True)
class Quotas:
    """Limits per tenant; 0 means no limit. The defaults are far above what a real app needs."""

    members: int = 5_000_000  # memberships across all the tenant's flight groups
    groups: int = 10_000  # flight groups
    flights: int = 10_000  # flights across the tenant's apps
    packages: int = 100_000  # validated packages kept (what devices download)
    stored_bytes: int = 1024 * GIB  # upload archives and validated packages

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) < 0:
                raise ValueError(f"the {WIRE_NAMES[field.name]} quota cannot be negative")

    def check(self, name: str, used: int, adding: int) -> None:
        """QuotaExceeded when adding `adding` to `used` would go past the limit `name`."""
        limit: int = getattr(self, name)
        if limit and adding > 0 and used + adding > limit:
            raise QuotaExceeded(WIRE_NAMES[name], limit, used, adding)

    def remaining(self, name: str, used: int) -> int | None:
        """How much more fits under the limit `name` (None: no limit)."""
        limit: int = getattr(self, name)
        return max(limit - used, 0) if limit else None


UNLIMITED = Quotas(members=0, groups=0, flights=0, packages=0, stored_bytes=0)
