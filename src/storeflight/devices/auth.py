"""Authenticate a device request (key form, device URL, or anonymous for a public app) into a DevicePrincipal.

The refusals say what is wrong with the credential and nothing about anything else: an unknown and a revoked
device URL get the same 404; an unknown, revoked and expired key the same 401; an app of another tenant the
same 404 as an app that does not exist.
"""

from __future__ import annotations

from starlette.requests import Request

from storeflight.devices.gate import DeviceGate
from storeflight.devices.model import KEY_PREFIX, DevicePrincipal
from storeflight.domain import dates
from storeflight.domain.errors import Forbidden, NotFound, Unauthorized
from storeflight.http.delivery_query import read_query
from storeflight.http.deps import server_state
from storeflight.http.middleware import note_tenant

NO_URL = "There is no device URL at this address."
NO_APP = "The application was not found."
NEED_KEY = "This endpoint needs a delivery key: send 'Authorization: Bearer sfdk_...'."
NOT_A_KEY = (
    "Device endpoints take a delivery key ('Authorization: Bearer sfdk_...'); API access tokens are not accepted here."
)
BAD_KEY = "The delivery key is unknown, revoked or expired."
OTHER_APP = "This delivery key is for another app."


def authenticate(request: Request) -> DevicePrincipal:
    """The principal of a device request to `/devices/v1/d/{token}/...` or `/devices/v1/apps/{app_id}/...`."""
    principal = _principal(request)
    note_tenant(request.scope, principal.tenant_id)
    return principal


def _principal(request: Request) -> DevicePrincipal:
    gate = server_state(request).devices
    token = request.path_params.get("token")
    if token is not None:
        return _by_url(gate, token)
    app_id = str(request.path_params["app_id"]).upper()
    customer = read_query(request.scope["query_string"]).get("customerId")
    customer = customer.strip() or None if customer is not None else None
    header = request.headers.get("authorization")
    if header is None:
        facts = gate.app(app_id)
        if facts.tenant_id is None or facts.settings is None or not facts.settings.public:
            raise Unauthorized(NEED_KEY)
        return DevicePrincipal(facts.tenant_id, app_id, None, None, customer)
    return _by_key(gate, header, app_id, customer)


def _by_url(gate: DeviceGate, token: str) -> DevicePrincipal:
    url = gate.url(token) if token.startswith("sfdu_") else None
    if url is None or url.revoked_at is not None:
        raise NotFound(NO_URL, target="deviceUrl")
    gate.throttle(url.id, url.rate_per_minute)
    return DevicePrincipal(url.tenant_id, url.app_id, None, url.id, url.customer_id)


def _by_key(gate: DeviceGate, header: str, app_id: str, customer: str | None) -> DevicePrincipal:
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(KEY_PREFIX):
        raise Unauthorized(NOT_A_KEY)
    key = gate.key(secret)
    if key is None or not key.usable(dates.utcnow()):
        raise Unauthorized(BAD_KEY)
    if gate.app(app_id).tenant_id != key.tenant_id:
        raise NotFound(NO_APP, target="application")
    if key.app_id is not None and key.app_id != app_id:
        raise Forbidden(OTHER_APP)
    gate.throttle(key.id, key.rate_per_minute)
    return DevicePrincipal(key.tenant_id, app_id, key.id, None, customer)
