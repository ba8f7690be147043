"""`storeflight admin create-delivery-key | revoke-delivery-key | device-settings` on the database directly."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from storeflight.audit.record import ADMIN
from storeflight.cli.admin import AppId, Tenant, _in_write, app
from storeflight.cli.common import DatabaseUrl, DataDir, print_json
from storeflight.cli.jsonfile import read_frameworks
from storeflight.devices import api as wire
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.storage.protocol import Tx


@app.command("create-delivery-key")
def create_delivery_key(
    tenant_id: Tenant,
    app_id: Annotated[str | None, typer.Option("--app", help="The app (without: every app of the tenant).")] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "delivery key",
    rate: Annotated[int, typer.Option(help="Requests per minute.")] = 600,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Create a delivery key for the device endpoints; its secret (`key`) is printed once."""

    def create(tx: Tx) -> dict[str, Any]:
        key, secret = service.create_key(
            tx, tenant_id, app_id, name=name, now=dates.utcnow(), rate_per_minute=rate, by=ADMIN
        )
        return wire.render_key(key, secret)

    print_json(_in_write(data_dir, database_url, create))


@app.command("revoke-delivery-key")
def revoke_delivery_key(
    tenant_id: Tenant,
    key_id: Annotated[str, typer.Argument(help="The key's id (dk...).")],
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a delivery key (every serving process refuses it within a second)."""
    body = _in_write(
        data_dir,
        database_url,
        lambda tx: wire.render_key(service.revoke_key(tx, tenant_id, key_id, dates.utcnow(), by=ADMIN)),
    )
    print_json(body)


@app.command("device-settings")
def device_settings(
    tenant_id: Tenant,
    app_id: AppId,
    public: Annotated[bool | None, typer.Option("--public/--private", help="Anonymous delivery.")] = None,
    hours: Annotated[int | None, typer.Option(help="HoursBetweenUpdateChecks (0-255).")] = None,
    force_update: Annotated[bool | None, typer.Option("--force-update/--no-force-update")] = None,
    frameworks_file: Annotated[
        Path | None, typer.Option("--frameworks-file", help="JSON list of framework packages' URLs.", dir_okay=False)
    ] = None,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Show an app's device settings, or change the ones given."""
    given = {"public": public, "hoursBetweenUpdateChecks": hours, "forceUpdateFromAnyVersion": force_update}
    given["frameworks"] = read_frameworks(frameworks_file) if frameworks_file else None
    changes = {name: value for name, value in given.items() if value is not None}
    body = _in_write(
        data_dir,
        database_url,
        lambda tx: wire.render_settings(service.update_settings(tx, tenant_id, app_id, changes, by=ADMIN)),
    )
    print_json(body)
