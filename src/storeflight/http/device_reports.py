"""Device reports (storeflight extension): POST .../reports under both device forms, a batch of events each.

`/devices/v1/apps/{app_id}/reports?customerId=...` with a delivery key, or `/devices/v1/d/{token}/reports`
(a per-device URL). Bounded: the body in bytes and events (a whole-request 413 or 400), and each device's
batches per minute (429 with Retry-After) on top of its credential's own request rate. The answer counts
what was accepted, what was a duplicate, and each refused event with its index, id and reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from storeflight.auth.throttle import AttemptLimiter
from storeflight.delivery.snapshot import Snapshot
from storeflight.devices.auth import NO_APP, authenticate
from storeflight.devices.model import DevicePrincipal
from storeflight.domain.errors import InvalidParameterValue, NotFound, Throttled
from storeflight.http import json_input
from storeflight.http.delivery_query import read_query
from storeflight.http.deps import ServerState, server_state
from storeflight.http.errors import PayloadTooLarge
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.ops import metrics
from storeflight.services.report_writer import ReportWriter
from storeflight.services.reports import Ingested
from storeflight.telemetry.events import MAX_BODY_BYTES, read_batch

BATCHES_PER_MINUTE = 60  # per device (app and customer), whatever its credential allows


class ReportLimits:
    """Each device's batches per minute (a token bucket per app and customer, memory bounded)."""

    def __init__(self, per_minute: int = BATCHES_PER_MINUTE, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limiter = AttemptLimiter(per_minute, clock=clock)

    def admit(self, app_id: str, customer_id: str) -> None:
        wait = self.limiter.attempt(f"{app_id}\0{customer_id}")
        if wait is not None:
            raise Throttled(wait)


async def _body(request: Request) -> Any:
    declared = request.headers.get("content-length", "")
    too_large = PayloadTooLarge(f"A batch of reports may be at most {MAX_BODY_BYTES} bytes.", target="body")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidParameterValue("The request body is not valid UTF-8.", target="body") from None
    if not text.strip():
        raise InvalidParameterValue("The body must be a JSON object with an 'events' list.", target="events")
    return json_input.parse(text)


def _snapshot(state: ServerState, principal: DevicePrincipal) -> Snapshot:
    with state.store.transaction(write=False) as tx:

        def load() -> Any:
            app = tx.get_app(principal.tenant_id, principal.app_id)
            if app is None:
                raise NotFound(NO_APP, target="application")
            return app

        return state.delivery.get(tx, principal.tenant_id, principal.app_id, load)


async def reports(request: Request, principal: DevicePrincipal) -> StoreJSONResponse:
    """POST .../reports: count a batch of the device's events (see the module)."""
    customer = principal.customer_id
    if principal.url_id is not None:
        given = read_query(request.scope["query_string"]).get("customerId")
        if given is not None and given.strip() != customer:
            raise InvalidParameterValue("A device URL names its customer: leave customerId out.", target="customerId")
    if customer is None:
        raise InvalidParameterValue("customerId is required and may not be empty.", target="customerId")
    state = server_state(request)
    limits: ReportLimits = request.app.state.device_reports
    limits.admit(principal.app_id, customer)
    events, refused = read_batch(await _body(request))
    result = Ingested(0, 0)
    if events:
        snapshot = state.delivery.fresh(principal.tenant_id, principal.app_id)
        if snapshot is None:
            snapshot = await run_in_threadpool(_snapshot, state, principal)
        writer: ReportWriter = request.app.state.report_writer
        result = await run_in_threadpool(writer.write, snapshot, customer, events)
    if (counted := metrics.ACTIVE) is not None:
        counted.reported(result.accepted, result.duplicates, len(refused))
    return ok(
        {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "refused": [{"index": r.index, "id": r.id, "reason": r.reason} for r in refused],
        }
    )


async def _endpoint(request: Request) -> StoreJSONResponse:
    return await reports(request, authenticate(request))


KEY_PATH = "/devices/v1/apps/{app_id}/reports"
URL_PATH = "/devices/v1/d/{token}/reports"
ROUTES = [
    Route(KEY_PATH, _endpoint, methods=["POST"], name="device_reports_key"),
    Route(URL_PATH, _endpoint, methods=["POST"], name="device_reports_url"),
]
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/StoreError"}}}
_ANSWER = {
    "200": {
        "description": "How many events counted, how many were duplicates, and each refused event with its reason",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "403": {"description": "The delivery key is for another app", "content": _ERROR},
    "413": {"description": f"The batch is larger than {MAX_BODY_BYTES} bytes", "content": _ERROR},
    "429": {
        "description": "Too many requests of this credential, or batches of this device. Retry later",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        "content": _ERROR,
    },
}
_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["events"],
                "properties": {"events": {"type": "array", "maxItems": 1000, "items": {"type": "object"}}},
            }
        }
    },
}


def _operation(operation_id: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "post": {
            "tags": ["device endpoints (extension)"],
            "summary": "Report a batch of device events: installed, updateFailed, launched, crashed, heartbeat",
            "operationId": operation_id,
            "parameters": parameters,
            "requestBody": _BODY,
            "responses": _ANSWER,
        }
    }


OPENAPI = {
    KEY_PATH: _operation(
        "device_reports_key",
        [
            {"name": "app_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "customerId", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 320}},
        ],
    ),
    URL_PATH: _operation(
        "device_reports_url", [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}]
    ),
}
