"""Operator tasks: API clients, applications and flight groups (the `storeflight admin` commands)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from storeflight.audit import snapshots as snap
from storeflight.audit.record import ADMIN
from storeflight.auth.secrets import hash_secret, new_secret
from storeflight.domain import ids, text
from storeflight.domain import submissions as subs
from storeflight.domain.errors import InvalidParameterValue, InvalidState, NotFound
from storeflight.domain.lifecycle import IN_PIPELINE, Status
from storeflight.domain.models import ApiClient, Application, Fault, FlightGroup, Origin, Package, Submission
from storeflight.pipeline.outcome import FAILURE_OF
from storeflight.services import groups
from storeflight.storage.protocol import Tx


def create_client(tx: Tx, *, tenant_id: str | None, name: str, now: datetime) -> tuple[ApiClient, str]:
    """A new client and its secret. The secret is returned once and stored only as a hash."""
    secret = new_secret()
    client = ApiClient(
        client_id=str(uuid.uuid4()),
        tenant_id=(tenant_id or str(uuid.uuid4())).lower(),
        name=name,
        secret_hash=hash_secret(secret),
        created_at=now,
    )
    tx.add_client(client)
    ADMIN.record(tx, client.tenant_id, "client.create", ("client", client.client_id), None, snap.client(client))
    return client, secret


def revoke_client(tx: Tx, client_id: str, *, now: datetime) -> ApiClient:
    client = tx.get_client(client_id)
    if client is None:
        raise NotFound(f"No client '{client_id}'.", target="client")
    if client.revoked_at is None:
        before, client = client, client.model_copy(update={"revoked_at": now})
        tx.save_client(client)
        resource = ("client", client.client_id)
        ADMIN.record(tx, client.tenant_id, "client.revoke", resource, snap.client(before), snap.client(client))
    return client


def create_app(
    tx: Tx,
    *,
    tenant_id: str,
    name: str,
    identity_name: str,
    publisher: str,
    now: datetime,
    baseline: bool = True,
    unsupported_features: bool = False,
    baseline_packages: Sequence[Package] = (),
) -> Application:
    """An app as Partner Center would have it after its first submission.

    With `baseline`, the app gets a published, Partner-Center-made, non-flighted submission holding
    `baseline_packages` (stored blobs; see services.baseline): the real service needs one before the API may
    create submissions or flights.
    """
    if baseline_packages and not baseline:
        raise InvalidParameterValue("Baseline packages need a baseline submission.", target="baseline")
    if not name.strip() or not identity_name.strip() or not publisher.strip():
        raise InvalidParameterValue("name, identity name and publisher must not be empty.", target="application")
    for field, value in (("name", name), ("identityName", identity_name), ("publisher", publisher)):
        text.check(value, field)
    app = Application(
        id=ids.new_store_id(),
        tenant_id=tenant_id.lower(),
        primary_name=name,
        identity_name=identity_name,
        publisher=publisher,
        family_name=ids.package_family_name(identity_name, publisher),
        first_published_date=now if baseline else None,
        unsupported_features=unsupported_features,
        created_at=now,
    )
    tx.add_app(app)
    if baseline:
        first = _baseline(app, now).model_copy(update={"packages": list(baseline_packages)})
        tx.add_submission(first)
        ADMIN.record(tx, app.tenant_id, "submission.create", ("submission", first.id), None, snap.submission(first))
    ADMIN.record(tx, app.tenant_id, "application.create", ("application", app.id), None, snap.app(app))
    return app


def _baseline(app: Application, now: datetime) -> Submission:
    identity = subs.Identity(
        id=ids.new_decimal_id(),
        tenant_id=app.tenant_id,
        app_id=app.id,
        flight_id=None,
        origin=Origin.PORTAL,
        upload_blob_id=str(uuid.uuid4()),
        upload_expires_at=now,
        now=now,
    )
    return subs.fresh(identity).model_copy(update={"status": Status.PUBLISHED, "published_at": now})


def create_group(tx: Tx, *, tenant_id: str, name: str, members: list[str], now: datetime) -> FlightGroup:
    """A group made by the operator: blank members are skipped, the rest normalised as the API does."""
    normalised = groups.members([m for m in members if m.strip()], "member")
    return groups.create_group(tx, tenant_id=tenant_id, name=name, members=normalised, now=now, by=ADMIN).group


def inject_failure(tx: Tx, *, tenant_id: str, app_id: str, stage: str, code: str, details: str, now: datetime) -> int:
    """Make the app's next submission that reaches `stage` fail there with `code` (for testing pipelines)."""
    app = tx.get_app(tenant_id.lower(), app_id.upper())
    if app is None:
        raise NotFound(f"No app '{app_id}' in tenant '{tenant_id}'.", target="application")
    try:
        status = Status(stage)
    except ValueError:
        raise InvalidParameterValue(f"'{stage}' is not a status.", target="stage") from None
    if status not in FAILURE_OF:
        allowed = ", ".join(s.value for s in FAILURE_OF)
        raise InvalidParameterValue(f"A failure can be injected at {allowed}; not at {stage}.", target="stage")
    if not code.strip():
        raise InvalidParameterValue("An error code is required.", target="code")
    fault = Fault(id=0, app_id=app.id, stage=status, code=code.strip(), details=details)
    return tx.add_fault(fault, app.tenant_id, now)


def require_tenant(tx: Tx, tenant_id: str, *, allow_new: bool) -> None:
    """Refuse a tenant no API client has (a typo would make apps and groups nobody can reach), unless on purpose."""
    if allow_new or tx.list_clients(tenant_id.lower()):
        return
    raise InvalidParameterValue(
        f"No API client belongs to the tenant '{tenant_id}', so nothing made in it could be reached. Check the id "
        "(`storeflight admin list-clients`), create a client in it first, or pass --new-tenant to go ahead.",
        target="tenantId",
    )


def require_free_identity(tx: Tx, tenant_id: str, identity_name: str) -> None:
    """Refuse a package identity another app of the tenant already has (the Store reserves each name once)."""
    page = tx.list_apps(tenant_id.lower(), skip=0, top=1_000_000)
    taken = next((a for a in page.items if a.identity_name.lower() == identity_name.strip().lower()), None)
    if taken is not None:
        raise InvalidParameterValue(
            f"The app {taken.id} ('{taken.primary_name}') of this tenant already has the identity '{identity_name}'.",
            target="identityName",
        )


def delete_client(tx: Tx, client_id: str) -> None:
    """Remove a client for good: its tokens stop working at once (as after a revoke), and its secret is gone."""
    client = tx.get_client(client_id)
    if client is None or not tx.delete_client(client_id):
        raise NotFound(f"No client '{client_id}'.", target="client")
    ADMIN.record(tx, client.tenant_id, "client.delete", ("client", client.client_id), snap.client(client), None)


def rename_app(tx: Tx, *, tenant_id: str, app_id: str, name: str) -> Application:
    """Give an app a new primary name (its identity and Store ID never change)."""
    if not name.strip():
        raise InvalidParameterValue("The name must not be empty.", target="primaryName")
    app = tx.get_app(tenant_id.lower(), app_id.upper(), lock=True)
    if app is None:
        raise NotFound(f"No app '{app_id}' in tenant '{tenant_id}'.", target="application")
    renamed = app.model_copy(update={"primary_name": name.strip()})
    tx.save_app(renamed)
    ADMIN.record(tx, app.tenant_id, "application.update", ("application", app.id), snap.app(app), snap.app(renamed))
    return renamed


def delete_app(tx: Tx, *, tenant_id: str, app_id: str, now: datetime) -> int:
    """Remove an app with everything it has; its blobs are recorded for deletion. Returns how many
    submissions went. Refused while the pipeline works on one of its submissions."""
    app = tx.get_app(tenant_id.lower(), app_id.upper(), lock=True)
    if app is None:
        raise NotFound(f"No app '{app_id}' in tenant '{tenant_id}'.", target="application")
    lines = [f"app:{app.id}", *(f"flight:{f.id}" for f in tx.list_flights(app.tenant_id, app.id))]
    pending = [p for p in (tx.pending_submission(line) for line in lines) if p is not None]
    busy = next((p for p in pending if p.status in IN_PIPELINE), None)
    if busy is not None:
        raise InvalidState(
            f"Submission {busy.id} of this app is {busy.status.value}: delete the app once the pipeline is done "
            "with it.",
            target="application",
        )
    gone = [*pending, *tx.published_submissions(app.id)]
    for sub in gone:
        tx.discard_blob(sub.upload_blob_id, now)
        for package in sub.packages:
            if package.id:
                tx.discard_blob(ids.package_blob(package.id), now)
    tx.delete_app(app.id)
    tx.bump_delivery_version(app.tenant_id, app.id, members=True)
    ADMIN.record(tx, app.tenant_id, "application.delete", ("application", app.id), snap.app(app), None)
    return len(gone)
