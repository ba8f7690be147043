"""The device endpoints, as plain Starlette routes under `/devices/v1`, each in two forms:

    /devices/v1/apps/{app_id}/<endpoint>   a delivery key (`Authorization: Bearer sfdk_...`), or none for a
                                           public app; the customer in `?customerId=`
    /devices/v1/d/{token}/<endpoint>       a per-device URL (App Installer cannot send headers)

`ENDPOINTS` lists them; a new device endpoint (device reports) is one more entry. Each handler receives the
authenticated `DevicePrincipal`; nothing here reads or returns management data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storeflight.audit.model import Actor, ActorKind
from storeflight.audit.record import Author
from storeflight.devices import service
from storeflight.devices.answers import DEVICE_PARAMETERS, PREFIX, app_installer, decision
from storeflight.devices.auth import NEED_KEY, authenticate
from storeflight.devices.download import package
from storeflight.devices.model import DevicePrincipal
from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue, Unauthorized
from storeflight.http.delivery_query import read_device
from storeflight.http.deps import json_body, public_url, server_state
from storeflight.http.middleware import correlation_id
from storeflight.http.responses import ok

Handler = Callable[[Request, DevicePrincipal], Awaitable[Response]]

# (path below the form's prefix, handler, methods): served under both forms.
ENDPOINTS: list[tuple[str, Handler, list[str]]] = [
    ("decision", decision, ["GET"]),
    ("app.appinstaller", app_installer, ["GET", "HEAD"]),
    ("packages/{package_id}/{file_name}", package, ["GET", "HEAD"]),
]


def _authenticated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, authenticate(request))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def enroll(request: Request, principal: DevicePrincipal) -> Response:
    """POST /devices/v1/apps/{app_id}/enroll with a delivery key and `{"customerId": ...}` (and optionally the
    device's deviceFamily, osVersion, architecture): a new per-device URL, shown once."""
    if principal.key_id is None:
        raise Unauthorized(NEED_KEY)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("customerId"), str):
        raise InvalidParameterValue("The body must be a JSON object with a customerId string.", target="customerId")
    device = {name: body[name] for name in DEVICE_PARAMETERS if isinstance(body.get(name), str)}
    read_device({**device, "customerId": "check"})  # the device's parameters, checked as its requests will be
    state = server_state(request)

    def write() -> tuple[Any, str]:
        with state.store.transaction(write=True) as tx:
            key = tx.get_delivery_key(principal.tenant_id, principal.key_id or "")
            customer = body["customerId"]
            by = Author(Actor(ActorKind.DELIVERY_KEY, principal.key_id or ""), correlation_id(request.scope))
            return service.create_url(
                tx, principal.tenant_id, principal.app_id, customer, dates.utcnow(), key=key, by=by
            )

    url, token = await run_in_threadpool(write)
    base = f"{public_url(request, state)}{PREFIX}/d/{token}"
    suffix = f"?{urlencode(device)}" if device else ""
    answer = {
        "deviceUrlId": url.id,
        "customerId": url.customer_id,
        "deviceUrl": base,
        "decisionUrl": f"{base}/decision{suffix}",
        "appInstallerUrl": f"{base}/app.appinstaller{suffix}",
        "rateLimitPerMinute": url.rate_per_minute,
    }
    return ok(answer, status_code=201)


def routes() -> list[Route]:
    """Every device route, both forms (enrollment takes a key, so it has the key form only)."""
    found = [Route(f"{PREFIX}/apps/{{app_id}}/enroll", _authenticated(enroll), methods=["POST"], name="device_enroll")]
    for path, handler, methods in ENDPOINTS:
        endpoint = _authenticated(handler)
        found.append(Route(f"{PREFIX}/apps/{{app_id}}/{path}", endpoint, methods=methods, name=f"device_{path}_key"))
        found.append(Route(f"{PREFIX}/d/{{token}}/{path}", endpoint, methods=methods, name=f"device_{path}_url"))
    return found


__all__ = ["ENDPOINTS", "routes"]
