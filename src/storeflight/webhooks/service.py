"""Webhook use cases: create (the secret shown once), list, get, delete, send a test ping, read deliveries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from storeflight.domain import ids
from storeflight.domain.errors import NotFound
from storeflight.services.context import Context
from storeflight.storage.protocol import Page, Tx
from storeflight.webhooks import outbox, sealing
from storeflight.webhooks.model import Delivery, EventType, Subscription, check_types, check_url

RESOURCE = "webhook"


@dataclass(frozen=True)
class Spec:
    url: str
    event_types: tuple[EventType, ...] = ()
    app_id: str | None = None
    enabled: bool = True


def snapshot(subscription: Subscription) -> dict[str, Any]:
    """The subscription as the audit history keeps it (never its secret)."""
    return {
        "id": subscription.id,
        "applicationId": subscription.app_id,
        "url": subscription.url,
        "eventTypes": [t.value for t in subscription.event_types],
        "enabled": subscription.enabled,
    }


def spec(url: object, event_types: object, app_id: str | None, enabled: bool) -> Spec:
    return Spec(check_url(url), check_types(event_types), app_id.upper() if app_id else None, enabled)


def create(tx: Tx, ctx: Context, wanted: Spec) -> tuple[Subscription, str]:
    """A new subscription and its signing secret, which is never shown again."""
    tenant = ctx.caller.tenant_id
    if wanted.app_id is not None and tx.get_app(tenant, wanted.app_id) is None:
        raise NotFound(f"The application '{wanted.app_id}' was not found.", target="application")
    subscription = Subscription(
        id=ids.new_decimal_id(),
        tenant_id=tenant,
        app_id=wanted.app_id,
        url=wanted.url,
        event_types=wanted.event_types,
        enabled=wanted.enabled,
        created_at=ctx.now,
        created_by=ctx.caller.client_id,
    )
    secret = sealing.new_secret()
    tx.add_webhook(subscription, sealing.seal(sealing.server_key(tx), subscription.id, secret))
    ctx.record(tx, "webhook.create", RESOURCE, subscription.id, None, snapshot(subscription))
    return subscription, secret


def get(tx: Tx, ctx: Context, subscription_id: str) -> Subscription:
    found = tx.get_webhook(ctx.caller.tenant_id, subscription_id)
    if found is None:
        raise NotFound(f"The webhook '{subscription_id}' was not found.", target="webhook")
    return found


def list_all(tx: Tx, ctx: Context) -> list[Subscription]:
    return tx.webhook_subscriptions(ctx.caller.tenant_id)


def set_enabled(tx: Tx, ctx: Context, subscription_id: str, enabled: bool) -> Subscription:
    """Switch a webhook on or off; off, it gets no new events and its pending deliveries wait."""
    found = get(tx, ctx, subscription_id)
    if found.enabled == enabled:
        return found
    changed = replace(found, enabled=enabled)
    tx.set_webhook_enabled(found.id, enabled)
    ctx.record(tx, "webhook.update", RESOURCE, found.id, snapshot(found), snapshot(changed))
    return changed


def delete(tx: Tx, ctx: Context, subscription_id: str) -> Subscription:
    found = get(tx, ctx, subscription_id)
    tx.delete_webhook(found.id)
    ctx.record(tx, "webhook.delete", RESOURCE, found.id, snapshot(found), None)
    return found


def test(tx: Tx, ctx: Context, subscription_id: str) -> tuple[str, str]:
    """Queue a `webhook.ping` to this subscription alone (even a disabled one); (event id, delivery id)."""
    found = get(tx, ctx, subscription_id)
    data = {"webhookId": found.id, "url": found.url, "message": "A test event: this webhook works."}
    event, delivery_ids = outbox.emit(tx, found.tenant_id, found.app_id, EventType.PING, data, ctx.now, [found.id])
    return event.id, delivery_ids[0]


def deliveries(tx: Tx, ctx: Context, subscription_id: str, *, skip: int, top: int) -> Page[Delivery]:
    found = get(tx, ctx, subscription_id)
    return tx.webhook_deliveries(found.id, skip=skip, top=top)
