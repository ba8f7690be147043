"""Webhook subscriptions over HTTP (storeflight extension, publisher token, each tenant sees only its own):

/v1.0/my/webhooks                       POST creates (the answer holds the signing secret, once), GET lists
/v1.0/my/webhooks/{webhookId}           GET reads, PATCH {enabled} switches, DELETE removes (with its log)
/v1.0/my/webhooks/{webhookId}/test      POST queues a webhook.ping to it
/v1.0/my/webhooks/{webhookId}/deliveries  GET the delivery log, newest first, each with its attempts
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.http import answers, schemas
from storeflight.http.deps import ApiDep, BodyDep
from storeflight.http.paging import PagingDep
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.webhooks import service
from storeflight.webhooks.model import MAX_URL, Attempt, Delivery, EventType, Subscription

Model = TypeVar("Model", bound=BaseModel)
_BASE = "/v1.0/my/webhooks"
_ONE = _BASE + "/{webhook_id}"
_PORT = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = f"^https?://[A-Za-z0-9.-]+(:{_PORT})?([/?#][^\\u0000-\\u0020\\u007f]*)?$"  # check_url, roughly
Subscribable = Annotated[str, Field(json_schema_extra={"enum": [t.value for t in EventType if t != EventType.PING]})]


@schemas.declare_model
class WebhookSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    url: Annotated[str, Field(min_length=1, max_length=MAX_URL, json_schema_extra={"pattern": URL_PATTERN})] = Field(
        description="An http or https URL, without a user name or password: events are POSTed to it."
    )
    eventTypes: list[Subscribable] = Field(
        default_factory=list, description="The event types to send (absent or empty: all of them)."
    )
    applicationId: str = Field("", max_length=16, description="Only this app's events (absent or empty: all).")
    enabled: bool = Field(True, description="A disabled webhook gets no events (its test ping still goes).")


@schemas.declare_model
class WebhookChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    enabled: bool = Field(description="false: no new events, and pending deliveries wait until it is true again.")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookAnswer(_Answer):
    id: str
    applicationId: str | None
    url: str
    eventTypes: list[str] = Field(description="Empty: every event type.")
    enabled: bool
    createdAt: str
    createdBy: str
    secret: str | None = Field(None, description="The signing secret: in the answer to the creation only.")


class AttemptAnswer(_Answer):
    attempt: int
    at: str
    statusCode: int | None
    error: str | None
    durationMs: int


class DeliveryAnswer(_Answer):
    id: str
    eventId: str
    eventType: str
    occurredAt: str
    status: str = Field(description="pending, delivered or dead.")
    attempts: int
    nextAttemptAt: str | None
    deliveredAt: str | None
    lastStatusCode: int | None
    lastError: str | None
    log: list[AttemptAnswer]


class TestAnswer(_Answer):
    eventId: str
    deliveryId: str


answers.MODELS |= {
    "Webhook": WebhookAnswer,
    "WebhookPage": answers.Page[WebhookAnswer],
    "WebhookDeliveryPage": answers.Page[DeliveryAnswer],
    "WebhookTest": TestAnswer,
}
answers.SUCCESS |= {
    (_BASE, "post"): "Webhook",
    (_BASE, "get"): "WebhookPage",
    (_ONE, "get"): "Webhook",
    (_ONE, "patch"): "Webhook",
    (_ONE, "delete"): "Webhook",
    (_ONE + "/test", "post"): "WebhookTest",
    (_ONE + "/deliveries", "get"): "WebhookDeliveryPage",
}
schemas.declare_error(
    404, "The applicationId names no app of this tenant", lambda op: op.path == _BASE and op.method == "post"
)
router = APIRouter(prefix=_BASE, tags=["webhooks (extension)"])


def render(subscription: Subscription, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": subscription.id,
        "applicationId": subscription.app_id,
        "url": subscription.url,
        "eventTypes": [t.value for t in subscription.event_types],
        "enabled": subscription.enabled,
        "createdAt": dates.render(subscription.created_at),
        "createdBy": subscription.created_by,
    }
    if secret is not None:
        body["secret"] = secret
    return body


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.number,
        "at": dates.render(attempt.at),
        "statusCode": attempt.status_code,
        "error": attempt.error,
        "durationMs": attempt.duration_ms,
    }


def render_delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "eventId": delivery.event.id,
        "eventType": delivery.event.type.value,
        "occurredAt": dates.render(delivery.event.occurred_at),
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "nextAttemptAt": dates.render(delivery.next_attempt_at) if delivery.next_attempt_at else None,
        "deliveredAt": dates.render(delivery.delivered_at) if delivery.delivered_at else None,
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "log": [_attempt(a) for a in delivery.log],
    }


def _model(model: type[Model], body: Any) -> Model:
    if not isinstance(body, dict):
        raise InvalidParameterValue("The body must be a JSON object.", target="body")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        raise InvalidParameterValue("The body is invalid: " + "; ".join(problems), target="body") from None


def _spec(body: Any) -> service.Spec:
    found = _model(WebhookSpec, body)
    return service.spec(found.url, found.eventTypes, found.applicationId, found.enabled)


@router.post(
    "",
    status_code=201,
    summary="Create a webhook (its signing secret is shown once)",
    openapi_extra=schemas.body(WebhookSpec),
)
def create_webhook(api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    wanted = _spec(body)
    with api.tx(write=True) as tx:
        subscription, secret = service.create(tx, api.ctx, wanted)
    return ok(render(subscription, secret), 201)


@router.get("", summary="List the tenant's webhooks")
async def list_webhooks(api: ApiDep) -> StoreJSONResponse:
    found = await api.read(lambda tx: service.list_all(tx, api.ctx))
    return ok({"value": [render(s) for s in found], "totalCount": len(found)})


@router.get("/{webhook_id}", summary="Get a webhook")
async def get_webhook(webhook_id: str, api: ApiDep) -> StoreJSONResponse:
    return ok(render(await api.read(lambda tx: service.get(tx, api.ctx, webhook_id))))


@router.patch("/{webhook_id}", summary="Switch a webhook on or off", openapi_extra=schemas.body(WebhookChange))
def change_webhook(webhook_id: str, api: ApiDep, body: BodyDep) -> StoreJSONResponse:
    wanted = _model(WebhookChange, body)
    with api.tx(write=True) as tx:
        changed = service.set_enabled(tx, api.ctx, webhook_id, wanted.enabled)
    return ok(render(changed))


@router.delete("/{webhook_id}", summary="Delete a webhook and its delivery log")
def delete_webhook(webhook_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        found = service.delete(tx, api.ctx, webhook_id)
    return ok(render(found))


@router.post("/{webhook_id}/test", status_code=202, summary="Send a webhook.ping to this webhook")
def test_webhook(webhook_id: str, api: ApiDep) -> StoreJSONResponse:
    with api.tx(write=True) as tx:
        event_id, delivery_id = service.test(tx, api.ctx, webhook_id)
    return ok({"eventId": event_id, "deliveryId": delivery_id}, 202)


@router.get("/{webhook_id}/deliveries", summary="A webhook's deliveries, newest first, with their attempts")
async def list_deliveries(webhook_id: str, api: ApiDep, paging: PagingDep) -> StoreJSONResponse:
    page = await api.read(lambda tx: service.deliveries(tx, api.ctx, webhook_id, skip=paging.skip, top=paging.top))
    path = f"webhooks/{webhook_id}/deliveries"
    return ok(paging.wrap([render_delivery(d) for d in page.items], page.total, path))
