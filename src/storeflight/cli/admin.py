"""`storeflight admin ...`: operator commands on the server's database, printing JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from storeflight.approvals import service as approvals
from storeflight.cli.common import DatabaseUrl, DataDir, NoDatabase, describe, print_json
from storeflight.cli.common import open_store as _open_store
from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.domain.errors import StoreflightError
from storeflight.domain.models import Package
from storeflight.http import render
from storeflight.http.app import build_state
from storeflight.services import admin as service
from storeflight.services.baseline import DEFAULT_ARCHITECTURE, DEFAULT_VERSION, BaselineRequest, baseline_packages
from storeflight.storage.protocol import Tx
from storeflight.storage.sql import SqlStore

T = TypeVar("T")

app = typer.Typer(
    rich_markup_mode=None, help="Manage API clients, applications and flight groups.", no_args_is_help=True
)

Tenant = Annotated[str, typer.Option("--tenant-id", help="The tenant (directory) id.")]
NewTenant = Annotated[
    bool, typer.Option("--new-tenant", help="Allow a tenant no API client has yet (otherwise refused as a typo).")
]


def _fail(error: StoreflightError) -> NoReturn:
    print_json({"error": {"code": error.code, "message": error.message}})
    raise typer.Exit(2)


def _in_write(data_dir: Path, database_url: str | None, action: Callable[[Tx], T]) -> T:
    """Run `action` in one write transaction; a domain error becomes the JSON error and exit status 2."""
    store = open_store(data_dir, database_url)
    try:
        with store.transaction(write=True) as tx:
            return action(tx)
    except StoreflightError as error:
        _fail(error)


def open_store(data_dir: Path, database_url: str | None, *, create: bool = True) -> SqlStore:
    """The database, named on stderr (stdout stays JSON); the list commands never create one."""
    typer.echo(f"database: {describe(data_dir, database_url)}", err=True)
    try:
        return _open_store(data_dir, database_url, create=create)
    except NoDatabase as missing:
        print_json({"error": {"code": "NoDatabase", "message": str(missing)}})
        raise typer.Exit(2) from None


@app.command("create-client")
def create_client(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    tenant_id: Annotated[str | None, typer.Option("--tenant-id", help="Tenant; a new one when left out.")] = None,
    name: Annotated[str, typer.Option("--name")] = "client",
) -> None:
    """Create an API client. The secret is printed once and stored only as a hash."""
    store = open_store(data_dir, database_url)
    with store.transaction(write=True) as tx:
        client, secret = service.create_client(tx, tenant_id=tenant_id, name=name, now=dates.utcnow())
    print_json({"tenantId": client.tenant_id, "clientId": client.client_id, "clientSecret": secret})


@app.command("list-clients")
def list_clients(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    tenant_id: Annotated[str | None, typer.Option("--tenant-id")] = None,
) -> None:
    """List API clients (never their secrets)."""
    store = open_store(data_dir, database_url, create=False)
    with store.transaction(write=False) as tx:
        clients = tx.list_clients(tenant_id.lower() if tenant_id else None)
        roles = {c.client_id: tx.client_roles(c.client_id) for c in clients}
    print_json(
        [
            {
                "tenantId": c.tenant_id,
                "clientId": c.client_id,
                "name": c.name,
                "createdAt": dates.render(c.created_at),
                "revoked": c.revoked_at is not None,
                "roles": roles[c.client_id],
            }
            for c in clients
        ]
    )


@app.command("set-roles")
def set_roles(
    client_id: Annotated[str, typer.Argument(help="The API client.")],
    role: Annotated[list[str] | None, typer.Option("--role", help="A role (repeat); none clears them.")] = None,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Replace an API client's roles: what approval rules ask approvers to hold."""
    roles = _in_write(data_dir, database_url, lambda tx: approvals.set_roles(tx, client_id, role or []))
    print_json({"clientId": client_id, "roles": roles})


@app.command("revoke-client")
def revoke_client(
    client_id: Annotated[str, typer.Argument(help="The client to revoke.")],
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a client: its tokens stop working at once and it can get no new ones."""
    client = _in_write(data_dir, database_url, lambda tx: service.revoke_client(tx, client_id, now=dates.utcnow()))
    print_json({"clientId": client.client_id, "revoked": True})


BaselinePackage = Annotated[
    list[Path] | None,
    typer.Option(
        "--baseline-package",
        help="A package file (.msix, .appx, bundle or upload) for the baseline instead of a generated one; "
        "repeat for more. Validated like an upload.",
    ),
]
BaselineVersion = Annotated[str, typer.Option("--baseline-version", help="Version of the generated baseline package.")]
BaselineArchitecture = Annotated[
    str, typer.Option("--baseline-architecture", help="Architecture of the generated baseline package.")
]
BlobStoreName = Annotated[str, typer.Option("--blob-store", envvar="STOREFLIGHT_BLOB_STORE", help="local or azure.")]
AzureConnection = Annotated[str | None, typer.Option(envvar="STOREFLIGHT_AZURE_CONNECTION_STRING")]
AzureContainer = Annotated[str, typer.Option(envvar="STOREFLIGHT_AZURE_CONTAINER")]


@app.command("create-app")
def create_app(
    tenant_id: Tenant,
    name: Annotated[str, typer.Option("--name", help="The app's primary name.")],
    identity_name: Annotated[str, typer.Option("--identity-name", help="Package identity name.")],
    publisher: Annotated[str, typer.Option("--publisher", help='Publisher, e.g. "CN=Contoso".')],
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    baseline: Annotated[
        bool, typer.Option(help="Give the app a published Partner Center submission, as the real service requires.")
    ] = True,
    baseline_package: BaselinePackage = None,
    baseline_version: BaselineVersion = DEFAULT_VERSION,
    baseline_architecture: BaselineArchitecture = DEFAULT_ARCHITECTURE,
    unsupported_features: Annotated[
        bool, typer.Option(help="Mark the app as using features the API does not support (every call answers 409).")
    ] = False,
    new_tenant: NewTenant = False,
    blob_store: BlobStoreName = "local",
    azure_connection_string: AzureConnection = None,
    azure_container: AzureContainer = "ingestion",
) -> None:
    """Create an application (as reserving it in Partner Center would), with a published baseline submission
    whose packages are a generated one of the app's identity or the --baseline-package files."""
    if baseline_package and not baseline:
        raise typer.BadParameter("--baseline-package needs a baseline; leave out --no-baseline.")
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        blob_backend=blob_store,
        azure_connection_string=azure_connection_string,
        azure_container=azure_container,
    )
    store = open_store(data_dir, database_url)
    request = BaselineRequest(
        identity_name, publisher, baseline_version, baseline_architecture, tuple(baseline_package or ())
    )
    try:
        with store.transaction(write=False) as tx:  # before any baseline package is built and stored
            service.require_tenant(tx, tenant_id, allow_new=new_tenant)
            service.require_free_identity(tx, tenant_id, identity_name)
        packages = _baseline_packages(store, settings, request) if baseline else []
        with store.transaction(write=True) as tx:
            created = service.create_app(
                tx,
                tenant_id=tenant_id,
                name=name,
                identity_name=identity_name,
                publisher=publisher,
                now=dates.utcnow(),
                baseline=baseline,
                unsupported_features=unsupported_features,
                baseline_packages=packages,
            )
            body = render.application(created, None, tx.last_published(f"app:{created.id}"))
            body["baselinePackages"] = [render.package(p) for p in packages]
    except StoreflightError as error:
        _fail(error)
    finally:
        store.close()
    print_json(body)


def _baseline_packages(store: SqlStore, settings: Settings, request: BaselineRequest) -> list[Package]:
    """The baseline's packages, stored in the blob backend the server uses."""
    try:
        blobs = build_state(store, settings).blobs
    except ValueError as error:  # a blob backend that cannot work with these settings
        raise typer.BadParameter(str(error)) from None
    return baseline_packages(request, blobs)


@app.command("list-apps")
def list_apps(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    tenant_id: Annotated[str | None, typer.Option("--tenant-id")] = None,
) -> None:
    """List applications."""
    store = open_store(data_dir, database_url, create=False)
    with store.transaction(write=False) as tx:
        page = tx.list_apps(tenant_id.lower() if tenant_id else None, skip=0, top=1_000_000)
        body = [
            {
                "tenantId": a.tenant_id,
                **render.application(a, tx.pending_submission(f"app:{a.id}"), tx.last_published(f"app:{a.id}")),
            }
            for a in page.items
        ]
    print_json(body)


@app.command("create-group")
def create_group(
    tenant_id: Tenant,
    name: Annotated[str, typer.Option("--name")],
    member: Annotated[list[str] | None, typer.Option("--member", help="A customer id; repeat for more.")] = None,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    new_tenant: NewTenant = False,
) -> None:
    """Create a flight group; its id is what flights' groupIds name."""
    store = open_store(data_dir, database_url)
    members = member or []
    try:
        with store.transaction(write=True) as tx:
            service.require_tenant(tx, tenant_id, allow_new=new_tenant)
            group = service.create_group(tx, tenant_id=tenant_id, name=name, members=members, now=dates.utcnow())
            count = tx.count_members(group.id)
    except StoreflightError as error:
        _fail(error)
    print_json({"id": group.id, "tenantId": group.tenant_id, "name": group.name, "memberCount": count})


@app.command("list-groups")
def list_groups(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    tenant_id: Annotated[str | None, typer.Option("--tenant-id")] = None,
) -> None:
    """List flight groups with their member counts."""
    store = open_store(data_dir, database_url, create=False)
    with store.transaction(write=False) as tx:
        groups = tx.list_groups(tenant_id.lower() if tenant_id else None)
    print_json([{"id": g.id, "tenantId": g.tenant_id, "name": g.name, "memberCount": n} for g, n in groups])


@app.command("inject-failure")
def inject_failure(
    tenant_id: Tenant,
    app_id: Annotated[str, typer.Option("--app-id", help="The app whose next submission should fail.")],
    stage: Annotated[str, typer.Option("--stage", help="CommitStarted, PreProcessing, Certification, Release, ...")],
    code: Annotated[str, typer.Option("--code", help="The statusDetails error code, e.g. InvalidArchive.")],
    details: Annotated[str, typer.Option("--details", help="The error text.")] = "",
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Make the app's next submission (flight or app) that reaches STAGE fail there with CODE."""
    now = dates.utcnow()
    fault_id = _in_write(
        data_dir,
        database_url,
        lambda tx: service.inject_failure(
            tx, tenant_id=tenant_id, app_id=app_id, stage=stage, code=code, details=details, now=now
        ),
    )
    print_json({"id": fault_id, "appId": app_id.upper(), "stage": stage, "code": code})


@app.command("backup")
def backup_command(
    to: Annotated[Path, typer.Option("--to", help="A new (or empty) folder for the copy.")],
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Copy the SQLite database and local blobs, consistently, while the server keeps running."""
    from storeflight.backup import BackupError, backup  # noqa: PLC0415

    if database_url is not None:
        message = (
            "storeflight does not back up PostgreSQL itself: use pg_dump (or your provider's snapshots) for the "
            "database, and copy the blobs (the data folder's blobs/, or the Azure container) after it"
        )
        print_json({"error": {"code": "NotSupported", "message": message}})
        raise typer.Exit(2)
    typer.echo(f"database: {describe(data_dir, None)}", err=True)
    try:
        report = backup(data_dir, to)
    except (BackupError, OSError) as error:
        message = str(error) if isinstance(error, BackupError) else f"cannot write the backup: {error}"
        print_json({"error": {"code": "BackupFailed", "message": message}})
        raise typer.Exit(2) from None
    print_json(
        {
            "database": str(report.database),
            "databaseBytes": report.database_bytes,
            "blobs": report.blobs,
            "blobBytes": report.blob_bytes,
        }
    )


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Option("--from", help="A folder `admin backup` wrote.")],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="The new (or empty) data folder to restore into.")],
) -> None:
    """Check a backup (SQLite integrity, a schema this version knows) and copy it into a new data folder."""
    from storeflight.backup import BackupError  # noqa: PLC0415
    from storeflight.backup.restore import restore  # noqa: PLC0415

    try:
        report = restore(source, data_dir)
    except (BackupError, OSError) as error:
        message = str(error) if isinstance(error, BackupError) else f"cannot restore: {error}"
        print_json({"error": {"code": "RestoreFailed", "message": message}})
        raise typer.Exit(2) from None
    print_json(
        {
            "database": str(report.database),
            "schemaRevision": report.revision,
            "blobs": report.blobs,
            "blobBytes": report.blob_bytes,
        }
    )


AppId = Annotated[str, typer.Option("--app-id", help="The app's Store ID.")]


@app.command("delete-client")
def delete_client(
    client_id: Annotated[str, typer.Argument(help="The client to delete.")],
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Delete a client for good (revoke-client keeps it listed): its tokens stop working at once."""
    _in_write(data_dir, database_url, lambda tx: service.delete_client(tx, client_id))
    print_json({"clientId": client_id, "deleted": True})


@app.command("rename-app")
def rename_app(
    tenant_id: Tenant,
    app_id: AppId,
    name: Annotated[str, typer.Option("--name", help="The new primary name.")],
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Give an app a new primary name (its Store ID, identity and submissions stay)."""

    def rename(tx: Tx) -> dict[str, Any]:
        renamed = service.rename_app(tx, tenant_id=tenant_id, app_id=app_id, name=name)
        return render.application(renamed, None, tx.last_published(f"app:{renamed.id}"))

    body = _in_write(data_dir, database_url, rename)
    print_json(body)


@app.command("delete-app")
def delete_app(
    tenant_id: Tenant,
    app_id: AppId,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete the app and everything it has.")] = False,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Delete an app with its flights and submissions; its packages and uploads are deleted in the background."""
    if not yes:
        raise typer.BadParameter("deleting an app removes its flights, submissions and packages; pass --yes")
    now = dates.utcnow()
    count = _in_write(
        data_dir, database_url, lambda tx: service.delete_app(tx, tenant_id=tenant_id, app_id=app_id, now=now)
    )
    print_json({"appId": app_id.upper(), "deleted": True, "submissions": count})


from storeflight.cli import admin_audit as _audit  # noqa: E402, F401 - registers the audit commands
from storeflight.cli import admin_devices as _devices  # noqa: E402, F401 - registers the device commands
from storeflight.cli import admin_keys as _keys  # noqa: E402, F401 - registers the key rotation commands
