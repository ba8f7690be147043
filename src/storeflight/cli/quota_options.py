"""The `--quota-*` options of `storeflight serve`: per-tenant limits, each also read from STOREFLIGHT_QUOTA_*."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from storeflight.domain.quotas import Quotas

DEFAULT_QUOTAS = Quotas()


def _option(name: str, what: str) -> Any:  # typer.Option is typed as returning Any
    return typer.Option(
        f"--quota-{name}", envvar=f"STOREFLIGHT_QUOTA_{name.upper().replace('-', '_')}", help=f"{what} (0: no limit)."
    )


QuotaMembers = Annotated[int, _option("members", "Most memberships across one tenant's flight groups")]
QuotaGroups = Annotated[int, _option("groups", "Most flight groups per tenant")]
QuotaFlights = Annotated[int, _option("flights", "Most flights per tenant, across its apps")]
QuotaPackages = Annotated[int, _option("packages", "Most validated packages a tenant keeps")]
QuotaStoredBytes = Annotated[
    int, _option("stored-bytes", "Most bytes of upload archives and packages a tenant stores")
]


def quotas(members: int, groups: int, flights: int, packages: int, stored_bytes: int) -> Quotas:
    try:
        return Quotas(members=members, groups=groups, flights=flights, packages=packages, stored_bytes=stored_bytes)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None

