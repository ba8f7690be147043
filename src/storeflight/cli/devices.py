"""`storeflight devices keys|url|settings`: delivery keys, per-device URLs and device settings (extension)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from storeflight.cli.jsonfile import read_frameworks
from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, session

app = typer.Typer(rich_markup_mode=None, help="Device credentials and settings.", no_args_is_help=True)
keys = typer.Typer(
    rich_markup_mode=None, help="Delivery keys (sfdk_...) for the device endpoints.", no_args_is_help=True
)
app.add_typer(keys, name="keys")

AppOption = Annotated[str | None, typer.Option("--app", help="The app (without: a tenant-wide key, every app).")]


@keys.command("create")
def create_key(
    app_id: AppOption = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "delivery key",
    rate: Annotated[int | None, typer.Option(help="Requests per minute (default 600).")] = None,
    expires_in_days: Annotated[int | None, typer.Option(help="Days until it stops working.")] = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a delivery key; its secret is printed once and never again."""
    with session(profile, json_output) as s:
        key = s.client.create_delivery_key(app_id, name, rate, expires_in_days)
        s.out.result(key, lambda: s.out.fields(f"delivery key {key.get('id')} (shown once)", list(key.items())))


@keys.command("list")
def list_keys(app_id: AppOption = None, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """List delivery keys (never their secrets)."""
    with session(profile, json_output) as s:
        found: list[dict[str, Any]] = s.client.list_delivery_keys(app_id).get("value", [])
        columns = ["id", "name", "applicationId", "rateLimitPerMinute", "expiresAt", "revokedAt"]
        rows = [[k.get(c) for c in columns] for k in found]
        s.out.result(found, lambda: s.out.table("delivery keys", columns, rows))


@keys.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id (dk...).")],
    app_id: AppOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Revoke a delivery key: devices using it are refused within a second."""
    with session(profile, json_output) as s:
        key = s.client.revoke_delivery_key(app_id, key_id)
        s.out.result(key, lambda: s.out.fields(f"delivery key {key_id} revoked", list(key.items())))


@app.command("url")
def device_url(
    app_id: AppArgument,
    customer: Annotated[str, typer.Option("--customer", help="The customer the URL names.")],
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a per-device URL (for App Installer: no headers needed); printed once."""
    with session(profile, json_output) as s:
        url = s.client.create_device_url(app_id, customer)
        s.out.result(url, lambda: s.out.fields(f"device URL {url.get('id')} (shown once)", list(url.items())))


@app.command("settings")
def settings(
    app_id: AppArgument,
    public: Annotated[bool | None, typer.Option("--public/--private", help="Anonymous delivery.")] = None,
    hours: Annotated[int | None, typer.Option(help="App Installer HoursBetweenUpdateChecks (0-255).")] = None,
    background: Annotated[bool | None, typer.Option("--background/--no-background", help="Background checks.")] = None,
    force_update: Annotated[
        bool | None, typer.Option("--force-update/--no-force-update", help="ForceUpdateFromAnyVersion (rollback).")
    ] = None,
    frameworks_file: Annotated[
        Path | None,
        typer.Option(
            "--frameworks-file",
            help="A JSON list of {name, publisher, version, architecture, uri}: framework packages' URLs.",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the app's device settings, or change the ones given."""
    given = {
        "public": public,
        "hoursBetweenUpdateChecks": hours,
        "automaticBackgroundTask": background,
        "forceUpdateFromAnyVersion": force_update,
        "frameworks": read_frameworks(frameworks_file) if frameworks_file else None,
    }
    changes = {name: value for name, value in given.items() if value is not None}
    with session(profile, json_output) as s:
        found = s.client.change_device_settings(app_id, changes) if changes else s.client.device_settings(app_id)
        s.out.result(found, lambda: s.out.fields(f"device settings of {app_id}", list(found.items())))

