"""Delivery keys, per-device URLs and per-app device settings (mixed into SqlTx)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.engine import Connection

from storeflight.devices.model import DeliveryKey, DeviceSettings, DeviceUrl, Framework
from storeflight.storage import tables as t


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:  # SQLite returns naive datetimes (all UTC)
        return value.replace(tzinfo=UTC)
    return value


def _fields(row: Row[Any]) -> dict[str, Any]:
    return {name: _utc(value) for name, value in row._mapping.items()}


class DevicesSql:
    conn: Connection

    def add_delivery_key(self, key: DeliveryKey) -> None:
        self.conn.execute(insert(t.delivery_keys).values(**asdict(key)))

    def delivery_key_by_hash(self, secret_hash: str) -> DeliveryKey | None:
        k = t.delivery_keys
        row = self.conn.execute(select(k).where(k.c.secret_hash == secret_hash)).first()
        return DeliveryKey(**_fields(row)) if row is not None else None

    def get_delivery_key(self, tenant_id: str, key_id: str) -> DeliveryKey | None:
        k = t.delivery_keys
        row = self.conn.execute(select(k).where(k.c.id == key_id, k.c.tenant_id == tenant_id)).first()
        return DeliveryKey(**_fields(row)) if row is not None else None

    def list_delivery_keys(self, tenant_id: str, app_id: str | None) -> list[DeliveryKey]:
        k = t.delivery_keys
        query = select(k).where(k.c.tenant_id == tenant_id)
        if app_id is not None:
            query = query.where(k.c.app_id == app_id)
        rows = self.conn.execute(query.order_by(k.c.created_at, k.c.id))
        return [DeliveryKey(**_fields(row)) for row in rows]

    def revoke_delivery_key(self, key_id: str, at: datetime) -> None:
        k = t.delivery_keys
        self.conn.execute(update(k).where(k.c.id == key_id, k.c.revoked_at.is_(None)).values(revoked_at=at))

    def add_device_url(self, url: DeviceUrl) -> None:
        self.conn.execute(insert(t.device_urls).values(**asdict(url)))

    def device_url_by_hash(self, token_hash: str) -> DeviceUrl | None:
        u = t.device_urls
        row = self.conn.execute(select(u).where(u.c.token_hash == token_hash)).first()
        return DeviceUrl(**_fields(row)) if row is not None else None

    def get_device_url(self, tenant_id: str, url_id: str) -> DeviceUrl | None:
        u = t.device_urls
        row = self.conn.execute(select(u).where(u.c.id == url_id, u.c.tenant_id == tenant_id)).first()
        return DeviceUrl(**_fields(row)) if row is not None else None

    def list_device_urls(self, tenant_id: str, app_id: str, customer_id: str | None) -> list[DeviceUrl]:
        u = t.device_urls
        query = select(u).where(u.c.tenant_id == tenant_id, u.c.app_id == app_id)
        if customer_id is not None:
            query = query.where(u.c.customer_id == customer_id)
        return [DeviceUrl(**_fields(row)) for row in self.conn.execute(query.order_by(u.c.created_at, u.c.id))]

    def revoke_device_url(self, url_id: str, at: datetime) -> None:
        u = t.device_urls
        self.conn.execute(update(u).where(u.c.id == url_id, u.c.revoked_at.is_(None)).values(revoked_at=at))

    def get_device_settings(self, app_id: str) -> DeviceSettings | None:
        s = t.device_settings
        row = self.conn.execute(select(s).where(s.c.app_id == app_id)).first()
        if row is None:
            return None
        fields = _fields(row)
        fields["frameworks"] = tuple(Framework(**entry) for entry in json.loads(fields["frameworks"] or "[]"))
        return DeviceSettings(**fields)

    def put_device_settings(self, settings: DeviceSettings) -> None:
        s = t.device_settings
        values = asdict(settings)
        values["frameworks"] = json.dumps([asdict(entry) for entry in settings.frameworks])
        if not self.conn.execute(update(s).where(s.c.app_id == settings.app_id).values(**values)).rowcount:
            self.conn.execute(insert(s).values(**values))

    def app_tenant(self, app_id: str) -> str | None:
        a = t.applications
        found: str | None = self.conn.scalar(select(a.c.tenant_id).where(a.c.id == app_id))
        return found

    def forget_app_devices(self, app_id: str) -> None:
        for table in (t.delivery_keys, t.device_urls, t.device_settings):
            self.conn.execute(delete(table).where(table.c.app_id == app_id))
