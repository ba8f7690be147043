"""Use cases of device credentials and settings, each given an open transaction (the caller commits)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from storeflight.audit import snapshots as snap
from storeflight.audit.record import Author
from storeflight.auth.secrets import hash_secret
from storeflight.devices import frameworks
from storeflight.devices.model import (
    DEFAULT_RATE,
    KEY_PREFIX,
    MAX_HOURS,
    MAX_RATE,
    URL_PREFIX,
    DeliveryKey,
    DeviceSettings,
    DeviceUrl,
)
from storeflight.domain import text
from storeflight.domain.errors import InvalidParameterValue, NotFound
from storeflight.domain.models import Application
from storeflight.storage.protocol import Tx

MAX_NAME = 256
MAX_CUSTOMER = 320  # as in flight groups and the delivery query


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(10)


def app_of(tx: Tx, tenant_id: str, app_id: str) -> Application:
    app = tx.get_app(tenant_id, app_id.upper())
    if app is None:
        raise NotFound(f"The application '{app_id}' was not found.", target="application")
    return app


def check_rate(rate: int) -> int:
    if not 1 <= rate <= MAX_RATE:
        message = f"rateLimitPerMinute must be between 1 and {MAX_RATE}."
        raise InvalidParameterValue(message, target="rateLimitPerMinute")
    return rate


def check_customer(customer_id: str) -> str:
    value = text.check(customer_id, "customerId").strip()
    if not value or len(value) > MAX_CUSTOMER:
        raise InvalidParameterValue(f"customerId must be 1 to {MAX_CUSTOMER} characters long.", target="customerId")
    return value


def create_key(
    tx: Tx,
    tenant_id: str,
    app_id: str | None,
    *,
    name: str,
    now: datetime,
    rate_per_minute: int = DEFAULT_RATE,
    expires_at: datetime | None = None,
    by: Author,
) -> tuple[DeliveryKey, str]:
    """A new key for one app (or, with `app_id` None, every app of the tenant) and its secret, shown once."""
    if app_id is not None:
        app_id = app_of(tx, tenant_id, app_id).id
    name = text.check(name, "name").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidParameterValue(f"name must be 1 to {MAX_NAME} characters long.", target="name")
    if expires_at is not None and expires_at <= now:
        raise InvalidParameterValue("expiresAt must be in the future.", target="expiresAt")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = DeliveryKey(
        id=_new_id("dk"),
        tenant_id=tenant_id,
        app_id=app_id,
        name=name,
        secret_hash=hash_secret(secret),
        rate_per_minute=check_rate(rate_per_minute),
        created_at=now,
        expires_at=expires_at,
    )
    tx.add_delivery_key(key)
    by.record(tx, tenant_id, "delivery_key.create", ("delivery_key", key.id), None, snap.delivery_key(key))
    return key, secret


def list_keys(tx: Tx, tenant_id: str, app_id: str | None) -> list[DeliveryKey]:
    """One app's keys (with app_id), or every key of the tenant (without)."""
    if app_id is not None:
        app_id = app_of(tx, tenant_id, app_id).id
    return tx.list_delivery_keys(tenant_id, app_id)


def revoke_key(
    tx: Tx, tenant_id: str, key_id: str, now: datetime, *, app_id: str | None = None, by: Author
) -> DeliveryKey:
    """Revoke the tenant's key (of this app, when given); revoking twice keeps the first time."""
    key = tx.get_delivery_key(tenant_id, key_id)
    if key is None or (app_id is not None and (key.app_id or "") != app_id.upper()):
        raise NotFound(f"The delivery key '{key_id}' was not found.", target="deliveryKey")
    if key.revoked_at is None:
        tx.revoke_delivery_key(key.id, now)
        before, key = key, replace(key, revoked_at=now)
        after = snap.delivery_key(key)
        by.record(tx, tenant_id, "delivery_key.revoke", ("delivery_key", key.id), snap.delivery_key(before), after)
    return key


def create_url(
    tx: Tx,
    tenant_id: str,
    app_id: str,
    customer_id: str,
    now: datetime,
    *,
    key: DeliveryKey | None = None,
    by: Author,
) -> tuple[DeviceUrl, str]:
    """A per-device URL naming the app and the customer, and its token (shown once). A device enrolling
    with a key gets the key's rate limit for its own URL."""
    token = URL_PREFIX + secrets.token_urlsafe(32)
    url = DeviceUrl(
        id=_new_id("du"),
        tenant_id=tenant_id,
        app_id=app_of(tx, tenant_id, app_id).id,
        customer_id=check_customer(customer_id),
        token_hash=hash_secret(token),
        rate_per_minute=key.rate_per_minute if key is not None else DEFAULT_RATE,
        created_at=now,
        key_id=key.id if key is not None else None,
    )
    tx.add_device_url(url)
    by.record(tx, tenant_id, "device_url.create", ("device_url", url.id), None, snap.device_url(url))
    return url, token


def list_urls(tx: Tx, tenant_id: str, app_id: str, customer_id: str | None) -> list[DeviceUrl]:
    return tx.list_device_urls(tenant_id, app_of(tx, tenant_id, app_id).id, customer_id)


def revoke_url(tx: Tx, tenant_id: str, app_id: str, url_id: str, now: datetime, *, by: Author) -> DeviceUrl:
    url = tx.get_device_url(tenant_id, url_id)
    if url is None or url.app_id != app_id.upper():
        raise NotFound(f"The device URL '{url_id}' was not found.", target="deviceUrl")
    if url.revoked_at is None:
        tx.revoke_device_url(url.id, now)
        before, url = url, replace(url, revoked_at=now)
        after = snap.device_url(url)
        by.record(tx, tenant_id, "device_url.revoke", ("device_url", url.id), snap.device_url(before), after)
    return url


def settings(tx: Tx, tenant_id: str, app_id: str) -> DeviceSettings:
    app = app_of(tx, tenant_id, app_id)
    return tx.get_device_settings(app.id) or DeviceSettings(app.id, tenant_id)


SETTINGS = {  # the name clients use -> (the field, its type)
    "public": ("public", bool),
    "hoursBetweenUpdateChecks": ("hours_between_update_checks", int),
    "automaticBackgroundTask": ("automatic_background_task", bool),
    "forceUpdateFromAnyVersion": ("force_update_from_any_version", bool),
}


def update_settings(tx: Tx, tenant_id: str, app_id: str, changes: dict[str, Any], *, by: Author) -> DeviceSettings:
    """Change some of the app's device settings (named as in SETTINGS); the others keep their values."""
    current = settings(tx, tenant_id, app_id)
    fields: dict[str, Any] = {}
    if "frameworks" in changes:
        changes = dict(changes)
        fields["frameworks"] = frameworks.parse(changes.pop("frameworks"))
    for name, value in changes.items():
        if name not in SETTINGS:
            raise InvalidParameterValue(f"'{name}' is not a device setting.", target=name)
        field, kind = SETTINGS[name]
        number = kind is int and isinstance(value, float) and value.is_integer()
        value = int(value) if number else value  # noqa: PLW2901 - 24.0 is the integer 24 in JSON
        if type(value) is not kind:
            raise InvalidParameterValue(
                f"{name} must be {'true or false' if kind is bool else 'an integer'}.", target=name
            )
        fields[field] = value
    if not 0 <= fields.get("hours_between_update_checks", 0) <= MAX_HOURS:
        raise InvalidParameterValue(
            f"hoursBetweenUpdateChecks must be between 0 and {MAX_HOURS}.", target="hoursBetweenUpdateChecks"
        )
    updated = replace(current, **fields)
    tx.put_device_settings(updated)
    resource = ("device_settings", updated.app_id)
    by.record(
        tx, tenant_id, "device_settings.update", resource, snap.device_settings(current), snap.device_settings(updated)
    )
    return updated
