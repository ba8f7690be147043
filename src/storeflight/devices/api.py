"""Management of device credentials and settings (storeflight extension, publisher token only):

    /v1.0/my/applications/{applicationId}/deliverykeys[/{keyId}]   an app's delivery keys
    /v1.0/my/deliverykeys[/{keyId}]                                  tenant-wide delivery keys (every app)
    /v1.0/my/applications/{applicationId}/deviceurls[/{urlId}]     per-device URLs
    /v1.0/my/applications/{applicationId}/devicesettings           public delivery and App Installer settings

A key's secret and a device URL are shown once, in the answer that creates them. DELETE revokes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from storeflight.devices import frameworks, service
from storeflight.devices.answers import PREFIX
from storeflight.devices.model import DEFAULT_RATE, MAX_HOURS, MAX_RATE, DeliveryKey, DeviceSettings, DeviceUrl
from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.http import answers, schemas
from storeflight.http.deps import ApiDep, BodyDep, public_url
from storeflight.http.responses import StoreJSONResponse, ok

MAX_DAYS = 3650
_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


@schemas.declare_model
class DeliveryKeyCreate(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Annotated[str, StringConstraints(max_length=service.MAX_NAME, pattern=_NOT_BLANK)] = Field(
        "delivery key", description="What the key is for."
    )
    rateLimitPerMinute: Annotated[int, Field(ge=1, le=MAX_RATE)] = Field(
        DEFAULT_RATE, description="Requests per minute; past it, 429 with Retry-After."
    )
    expiresInDays: Annotated[int, Field(ge=1, le=MAX_DAYS)] | SkipJsonSchema[None] = Field(
        None, description="Days until the key stops working (absent: it never expires)."
    )


@schemas.declare_model
class DeviceUrlCreate(BaseModel):
    model_config = ConfigDict(extra="allow")
    customerId: Annotated[str, StringConstraints(max_length=service.MAX_CUSTOMER, pattern=_NOT_BLANK)] = Field(
        description="The customer the URL names (as in the flight groups)."
    )


class FrameworkEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The framework's package name, e.g. Microsoft.VCLibs.140.00.")
    publisher: str = Field(description="Its publisher, as the dependency in the app's manifest names it.")
    version: str = Field(description="The version of the package at `uri`.")
    architecture: Literal["x86", "x64", "arm", "arm64", "neutral"]
    uri: str = Field(description="Where devices download it (http or https).")


@schemas.declare_model
class DeviceSettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public: bool | SkipJsonSchema[None] = Field(None, description="Anonymous delivery on the device endpoints.")
    hoursBetweenUpdateChecks: Annotated[int, Field(ge=0, le=MAX_HOURS)] | SkipJsonSchema[None] = Field(
        None, description="App Installer's OnLaunch HoursBetweenUpdateChecks (default 24)."
    )
    automaticBackgroundTask: bool | SkipJsonSchema[None] = Field(
        None, description="App Installer checks every 8 hours without UI."
    )
    forceUpdateFromAnyVersion: bool | SkipJsonSchema[None] = Field(
        None, description="Allow downgrades: a deliberate rollback."
    )
    frameworks: list[FrameworkEntry] | SkipJsonSchema[None] = Field(
        None, description="Where the framework packages the app depends on live (replaces the whole list)."
    )


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


_DATE = "ISO 8601 in UTC; 1601-01-01T00:00:00.0000000Z means unset."


class DeliveryKeyAnswer(_Answer):
    id: str
    name: str
    applicationId: str | None = Field(description="null: every app of the tenant.")
    rateLimitPerMinute: int
    createdAt: str = Field(description=_DATE)
    expiresAt: str = Field(description=_DATE)
    revokedAt: str = Field(description=_DATE)
    key: str | None = Field(None, description="The secret (sfdk_...): only in the answer that creates the key.")


class DeviceUrlAnswer(_Answer):
    id: str
    applicationId: str
    customerId: str
    enrolledWithKeyId: str | None
    rateLimitPerMinute: int
    createdAt: str = Field(description=_DATE)
    revokedAt: str = Field(description=_DATE)
    deviceUrl: str | None = Field(None, description="Only in the answer that creates it (shown once).")
    decisionUrl: str | None = None
    appInstallerUrl: str | None = None


class DeviceSettingsAnswer(_Answer):
    applicationId: str
    public: bool
    hoursBetweenUpdateChecks: int
    automaticBackgroundTask: bool
    forceUpdateFromAnyVersion: bool
    frameworks: list[FrameworkEntry]


# The success answers of these operations, for the OpenAPI document (http/answers.py describes the others).
answers.MODELS |= {
    "DeliveryKey": DeliveryKeyAnswer,
    "DeliveryKeyPage": answers.Page[DeliveryKeyAnswer],
    "DeviceUrl": DeviceUrlAnswer,
    "DeviceUrlPage": answers.Page[DeviceUrlAnswer],
    "DeviceSettings": DeviceSettingsAnswer,
}
_APP = "/v1.0/my/applications/{application_id}"
answers.SUCCESS |= {
    (f"{_APP}/deliverykeys", "post"): "DeliveryKey",
    (f"{_APP}/deliverykeys", "get"): "DeliveryKeyPage",
    (f"{_APP}/deliverykeys/{{key_id}}", "delete"): "DeliveryKey",
    ("/v1.0/my/deliverykeys", "post"): "DeliveryKey",
    ("/v1.0/my/deliverykeys", "get"): "DeliveryKeyPage",
    ("/v1.0/my/deliverykeys/{key_id}", "delete"): "DeliveryKey",
    (f"{_APP}/deviceurls", "post"): "DeviceUrl",
    (f"{_APP}/deviceurls", "get"): "DeviceUrlPage",
    (f"{_APP}/deviceurls/{{url_id}}", "delete"): "DeviceUrl",
    (f"{_APP}/devicesettings", "get"): "DeviceSettings",
    (f"{_APP}/devicesettings", "patch"): "DeviceSettings",
}

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
        "frameworks": frameworks.render(settings.frameworks),
    }


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameterValue("The body must be a JSON object.", target="body")
    return body


def _number(found: dict[str, Any], field: str) -> int | None:
    """An integer field (a JSON number with no fraction, as JSON Schema counts integers), None when absent."""
    if field not in found:
        return None
    value = found[field]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int:
        raise InvalidParameterValue(f"{field} must be an integer.", target=field)
    return value


def _key_options(body: Any) -> dict[str, Any]:
    found = _object(body)
    name = found.get("name", "delivery key")
    if not isinstance(name, str):
        raise InvalidParameterValue("name must be a string.", target="name")
    rate, days = _number(found, "rateLimitPerMinute"), _number(found, "expiresInDays")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidParameterValue(f"expiresInDays must be between 1 and {MAX_DAYS}.", target="expiresInDays")
    return {
        "name": name,
        "rate_per_minute": DEFAULT_RATE if rate is None else rate,
        "expires_at": dates.utcnow() + timedelta(days=days) if days is not None else None,
    }


def _create_key(api: Any, app_id: str | None, body: Any) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        if app_id is not None:
            service.app_of(tx, api.caller.tenant_id, app_id)  # another tenant's app: 404 before any 400
        options = _key_options(body)
        key, secret = service.create_key(
            tx, api.caller.tenant_id, app_id, now=dates.utcnow(), by=api.ctx.author, **options
        )
    return ok(render_key(key, secret), 201)


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items, "totalCount": len(items)}


_KEY_BODY = schemas.body(DeliveryKeyCreate)  # `{}` for every default


@router.post(
    "/applications/{application_id}/deliverykeys",
    status_code=201,
    summary="Create a delivery key for an app",
    openapi_extra=_KEY_BODY,
)
def create_app_key(application_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    return _create_key(api, application_id, body)


@router.post(
    "/deliverykeys", status_code=201, summary="Create a tenant-wide delivery key (every app)", openapi_extra=_KEY_BODY
)
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
        key = service.revoke_key(
            tx, api.caller.tenant_id, key_id, dates.utcnow(), app_id=application_id, by=api.ctx.author
        )
    return ok(render_key(key))


@router.delete("/deliverykeys/{key_id}", summary="Revoke a delivery key of the tenant")
def revoke_tenant_key(key_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        key = service.revoke_key(tx, api.caller.tenant_id, key_id, dates.utcnow(), by=api.ctx.author)
    return ok(render_key(key))


@router.post(
    "/applications/{application_id}/deviceurls",
    status_code=201,
    summary="Create a per-device URL",
    openapi_extra=schemas.body(DeviceUrlCreate),
)
def create_device_url(application_id: str, request: Request, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        service.app_of(tx, api.caller.tenant_id, application_id)
        customer = _object(body).get("customerId")
        if not isinstance(customer, str):
            raise InvalidParameterValue("customerId must be a string.", target="customerId")
        url, token = service.create_url(
            tx, api.caller.tenant_id, application_id, customer, dates.utcnow(), by=api.ctx.author
        )
    return ok(render_url(url, f"{public_url(request, api.state)}{PREFIX}/d/{token}"), 201)


@router.get("/applications/{application_id}/deviceurls", summary="List an app's per-device URLs (not the URLs)")
async def list_device_urls(application_id: str, api: ApiDep, customer: CustomerQuery = None) -> StoreJSONResponse:
    urls = await api.read(lambda tx: service.list_urls(tx, api.caller.tenant_id, application_id, customer))
    return ok(_list([render_url(u) for u in urls]))


@router.delete("/applications/{application_id}/deviceurls/{url_id}", summary="Revoke a per-device URL")
def revoke_device_url(application_id: str, url_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        url = service.revoke_url(tx, api.caller.tenant_id, application_id, url_id, dates.utcnow(), by=api.ctx.author)
    return ok(render_url(url))


@router.get("/applications/{application_id}/devicesettings", summary="An app's device settings")
async def get_settings(application_id: str, api: ApiDep) -> StoreJSONResponse:
    found = await api.read(lambda tx: service.settings(tx, api.caller.tenant_id, application_id))
    return ok(render_settings(found))


@router.patch(
    "/applications/{application_id}/devicesettings",
    summary="Change some of an app's device settings",
    openapi_extra=schemas.body(DeviceSettingsChange),
)
def change_settings(application_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    changes = _object(body)
    with api.tx(write=True) as tx:
        updated = service.update_settings(tx, api.caller.tenant_id, application_id, changes, by=api.ctx.author)
    return ok(render_settings(updated))
