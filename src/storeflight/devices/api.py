"""Management of device credentials and settings (storeflight extension, publisher token only):

    /v1.0/my/applications/{applicationId}/deliverykeys[/{keyId}]   an app's delivery keys
    /v1.0/my/deliverykeys[/{keyId}]                                  tenant-wide delivery keys (every app)
    /v1.0/my/applications/{applicationId}/deviceurls[/{urlId}]     per-device URLs
    /v1.0/my/applications/{applicationId}/devicesettings           public delivery and App Installer settings

A key's secret and a device URL are shown once, in the answer that creates them. DELETE revokes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from storeflight.devices import service
from storeflight.devices.answers import PREFIX
from storeflight.devices.model import DEFAULT_RATE, DeliveryKey, DeviceSettings, DeviceUrl
from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.http.deps import ApiDep, BodyDep, public_url
from storeflight.http.responses import StoreJSONResponse, ok

router = APIRouter(prefix="/v1.0/my", tags=["device credentials (extension)"])
CustomerQuery = Annotated[str | None, Query(alias="customerId", max_length=service.MAX_CUSTOMER)]


def render_key(key: DeliveryKey, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": key.id,
        "name": key.name,
        "applicationId": key.app_id,
        "rateLimitPerMinute": key.rate_per_minute,
        "createdAt": dates.render(key.created_at),
        "expiresAt": dates.render(key.expires_at),
        "revokedAt": dates.render(key.revoked_at),
    }
    if secret is not None:
        body["key"] = secret
    return body


def render_url(url: DeviceUrl, base: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": url.id,
        "applicationId": url.app_id,
        "customerId": url.customer_id,
        "enrolledWithKeyId": url.key_id,
        "rateLimitPerMinute": url.rate_per_minute,
        "createdAt": dates.render(url.created_at),
        "revokedAt": dates.render(url.revoked_at),
    }
    if base is not None:
        body |= {"deviceUrl": base, "decisionUrl": f"{base}/decision", "appInstallerUrl": f"{base}/app.appinstaller"}
    return body


def render_settings(settings: DeviceSettings) -> dict[str, Any]:
    return {
        "applicationId": settings.app_id,
        **{wire: getattr(settings, name) for wire, (name, _) in service.SETTINGS.items()},
    }


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidParameterValue("The body must be a JSON object.", target="body")
    return body


def _key_options(body: Any) -> dict[str, Any]:
    found = _object(body)
    name, rate, expires = found.get("name", "delivery key"), found.get("rateLimitPerMinute", DEFAULT_RATE), None
    if not isinstance(name, str):
        raise InvalidParameterValue("name must be a string.", target="name")
    if type(rate) is not int:
        raise InvalidParameterValue("rateLimitPerMinute must be an integer.", target="rateLimitPerMinute")
    if found.get("expiresAt") is not None:
        if not isinstance(found["expiresAt"], str):
            raise InvalidParameterValue("expiresAt must be a date string.", target="expiresAt")
        expires = dates.parse(found["expiresAt"], field="expiresAt")
    return {"name": name, "rate_per_minute": rate, "expires_at": expires}


def _create_key(api: Any, app_id: str | None, body: Any) -> StoreJSONResponse:
    options = _key_options(body)
    with api.tx(write=True) as tx:
        key, secret = service.create_key(tx, api.caller.tenant_id, app_id, now=dates.utcnow(), **options)
    return ok(render_key(key, secret), 201)


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items, "totalCount": len(items)}


@router.post("/applications/{application_id}/deliverykeys", status_code=201, summary="Create a delivery key")
def create_app_key(application_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    return _create_key(api, application_id, body)


@router.post("/deliverykeys", status_code=201, summary="Create a tenant-wide delivery key (every app)")
def create_tenant_key(api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    return _create_key(api, None, body)


@router.get("/applications/{application_id}/deliverykeys", summary="List an app's delivery keys")
async def list_app_keys(application_id: str, api: ApiDep) -> StoreJSONResponse:
    keys = await api.read(lambda tx: service.list_keys(tx, api.caller.tenant_id, application_id))
    return ok(_list([render_key(k) for k in keys]))


@router.get("/deliverykeys", summary="List every delivery key of the tenant")
async def list_tenant_keys(api: ApiDep) -> StoreJSONResponse:
    keys = await api.read(lambda tx: service.list_keys(tx, api.caller.tenant_id, None))
    return ok(_list([render_key(k) for k in keys]))


@router.delete("/applications/{application_id}/deliverykeys/{key_id}", summary="Revoke an app's delivery key")
def revoke_app_key(application_id: str, key_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        service.app_of(tx, api.caller.tenant_id, application_id)
        key = service.revoke_key(tx, api.caller.tenant_id, key_id, dates.utcnow(), app_id=application_id)
    return ok(render_key(key))


@router.delete("/deliverykeys/{key_id}", summary="Revoke a delivery key of the tenant")
def revoke_tenant_key(key_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        key = service.revoke_key(tx, api.caller.tenant_id, key_id, dates.utcnow())
    return ok(render_key(key))


@router.post("/applications/{application_id}/deviceurls", status_code=201, summary="Create a per-device URL")
def create_device_url(application_id: str, request: Request, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    customer = _object(body).get("customerId")
    if not isinstance(customer, str):
        raise InvalidParameterValue("customerId must be a string.", target="customerId")
    with api.tx(write=True) as tx:
        url, token = service.create_url(tx, api.caller.tenant_id, application_id, customer, dates.utcnow())
    return ok(render_url(url, f"{public_url(request, api.state)}{PREFIX}/d/{token}"), 201)


@router.get("/applications/{application_id}/deviceurls", summary="List an app's per-device URLs (not the URLs)")
async def list_device_urls(application_id: str, api: ApiDep, customer: CustomerQuery = None) -> StoreJSONResponse:
    urls = await api.read(lambda tx: service.list_urls(tx, api.caller.tenant_id, application_id, customer))
    return ok(_list([render_url(u) for u in urls]))


@router.delete("/applications/{application_id}/deviceurls/{url_id}", summary="Revoke a per-device URL")
def revoke_device_url(application_id: str, url_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        url = service.revoke_url(tx, api.caller.tenant_id, application_id, url_id, dates.utcnow())
    return ok(render_url(url))


@router.get("/applications/{application_id}/devicesettings", summary="An app's device settings")
async def get_settings(application_id: str, api: ApiDep) -> StoreJSONResponse:
    found = await api.read(lambda tx: service.settings(tx, api.caller.tenant_id, application_id))
    return ok(render_settings(found))


@router.patch("/applications/{application_id}/devicesettings", summary="Change some of an app's device settings")
def change_settings(application_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    changes = _object(body)
    with api.tx(write=True) as tx:
        updated = service.update_settings(tx, api.caller.tenant_id, application_id, changes)
    return ok(render_settings(updated))
