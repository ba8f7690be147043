"""What a device is told: its decision (as the delivery API decides it) and its App Installer file."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from storeflight.delivery.decide import decide
from storeflight.delivery.model import Decision, Device, PackageView
from storeflight.delivery.snapshot import Snapshot
from storeflight.devices import appinstaller, frameworks
from storeflight.devices.model import DevicePrincipal, DeviceSettings
from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue, NotFound
from storeflight.http.delivery import decision_body
from storeflight.http.delivery_query import read_device, read_query
from storeflight.http.deps import ServerState, public_url, server_state
from storeflight.http.responses import ok
from storeflight.ops import metrics

PREFIX = "/devices/v1"
DEVICE_PARAMETERS = ("deviceFamily", "osVersion", "architecture")  # what a device URL may carry in its query
# App Installer says nothing about the OS; it refuses itself what the OS cannot run. Without an osVersion in
# its URL, its file is therefore decided as for any OS version.
ANY_OS = "10.0.65535.0"


def base_url(request: Request, state: ServerState, principal: DevicePrincipal) -> str:
    """The device's own URL prefix: its device URL, or the app's key-form prefix."""
    token = request.path_params.get("token")
    where = f"d/{token}" if token is not None else f"apps/{principal.app_id}"
    return f"{public_url(request, state)}{PREFIX}/{where}"


def package_url(base: str, package: PackageView) -> str:
    return f"{base}/packages/{quote(package.id, safe='')}/{quote(package.file_name, safe='')}"


def device_query(request: Request, principal: DevicePrincipal) -> dict[str, str]:
    """The request's query with the customer a device URL names (a different customerId is refused)."""
    query = read_query(request.scope["query_string"])
    if principal.url_id is not None:
        given = query.get("customerId")
        if given is not None and given.strip() != principal.customer_id:
            raise InvalidParameterValue("A device URL names its customer: leave customerId out.", target="customerId")
        query["customerId"] = principal.customer_id or ""
    return query


async def snapshot_of(state: ServerState, principal: DevicePrincipal) -> Snapshot:
    found = state.delivery.fresh(principal.tenant_id, principal.app_id)
    if found is None:  # (re)building can take seconds for a large app: never on the event loop
        found = await run_in_threadpool(_acquire, state, principal)
    return found


def _acquire(state: ServerState, principal: DevicePrincipal) -> Snapshot:
    with state.store.transaction(write=False) as tx:

        def load() -> Any:
            app = tx.get_app(principal.tenant_id, principal.app_id)
            if app is None:
                raise NotFound("The application was not found.", target="application")
            return app

        return state.delivery.get(tx, principal.tenant_id, principal.app_id, load)


async def decided(
    request: Request, principal: DevicePrincipal, *, any_os: bool = False
) -> tuple[ServerState, Device, bool, Decision]:
    state = server_state(request)
    query = device_query(request, principal)
    if any_os and not query.get("osVersion"):
        query["osVersion"] = ANY_OS
    device, explain = read_device(query)
    snapshot = await snapshot_of(state, principal)
    found = decide(snapshot.app, device, snapshot.groups(device.customer_id))
    if (counted := metrics.ACTIVE) is not None:
        counted.decided(found.reason, "device")
    return state, device, explain, found


async def decision(request: Request, principal: DevicePrincipal) -> Response:
    """GET .../decision: the delivery API's decision, with this device's stable download URLs."""
    state, device, explain, found = await decided(request, principal)
    base = base_url(request, state, principal)
    packages = [_package(base, p) for p in found.packages]
    body = decision_body(principal.app_id, device.customer_id, found, packages, explain)
    return ok(body)


def _package(base: str, p: PackageView) -> dict[str, Any]:
    return {
        "id": p.id,
        "fileName": p.file_name,
        "version": p.version,
        "architecture": p.architecture,
        "size": p.size,
        "sha256": p.sha256,
        "downloadUrl": package_url(base, p),
    }


async def app_installer(request: Request, principal: DevicePrincipal) -> Response:
    """GET .../app.appinstaller: the App Installer file of this device; 404 when nothing applies to it. Without
    an osVersion, any OS version is assumed (App Installer refuses what the OS cannot run by itself)."""
    state, device, _, found = await decided(request, principal, any_os=True)
    if not found.packages:
        raise NotFound(f"Nothing to install for this device: {found.reason}.", target="appInstaller")
    facts = state.devices.app(principal.app_id)
    base = base_url(request, state, principal)
    package = appinstaller.main_package(found.packages, device.architecture)
    mandatory_now = found.is_mandatory and (found.mandatory_date is None or found.mandatory_date <= dates.utcnow())
    settings = facts.settings or DeviceSettings(principal.app_id, principal.tenant_id)
    installer = appinstaller.Installer(
        file_uri=_file_uri(request, base, principal),
        identity_name=facts.identity_name,
        publisher=facts.publisher,
        package=package,
        package_uri=package_url(base, package),
        settings=settings,
        mandatory_now=mandatory_now,
        dependencies=tuple(frameworks.needed(package, device.architecture, settings.frameworks)),
    )
    headers = {"Cache-Control": "no-cache"}
    return Response(appinstaller.render(installer), media_type=appinstaller.MEDIA_TYPE, headers=headers)


def _file_uri(request: Request, base: str, principal: DevicePrincipal) -> str:
    """The file's own URL, with the device parameters it was asked with: every later check of App Installer
    asks the same question (the same customer, so the same rollout bucket)."""
    query = read_query(request.scope["query_string"])
    names = DEVICE_PARAMETERS if principal.url_id is not None else ("customerId", *DEVICE_PARAMETERS)
    kept = [(name, query[name]) for name in names if query.get(name)]
    return f"{base}/app.appinstaller" + (f"?{urlencode(kept)}" if kept else "")
