"""The delivery API (storeflight extension): which packages a customer's device gets, and why.

The busiest endpoint of a device-facing server, so its query is read by hand (`delivery_query`) rather than
through FastAPI's per-parameter validation, and download URLs are signed once per package and hour.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storeflight.blobs.protocol import BlobStore
from storeflight.delivery.decide import decide
from storeflight.delivery.model import Decision, Device, PackageView
from storeflight.delivery.snapshot import Snapshot
from storeflight.domain import dates, ids
from storeflight.http.delivery_body import answer_bytes
from storeflight.http.delivery_query import OPENAPI_PARAMETERS, read_device, read_query
from storeflight.http.deps import Api, authenticate
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.ops import metrics
from storeflight.services.context import load_app

_URL_LIFETIME = timedelta(hours=1)


def _expiry(now: datetime) -> datetime:
    """Download URLs expire on the hour after next, so one URL serves many requests (and stays cached)."""
    return now.replace(minute=0, second=0, microsecond=0) + 2 * _URL_LIFETIME


@lru_cache(maxsize=8192)
def _package(blobs: Hashable, p: PackageView, public_url: str, expires: datetime, signer: str) -> dict[str, Any]:
    """A package's entry in the answer (shared: never mutated); the same for everyone until the hour turns or
    the URL signing key (`signer`) is rotated."""
    url = cast(BlobStore, blobs).download_url(ids.package_blob(p.id), public_url=public_url, expires_at=expires)
    return {
        "id": p.id,
        "fileName": p.file_name,
        "version": p.version,
        "architecture": p.architecture,
        "size": p.size,
        "sha256": p.sha256,
        "downloadUrl": url,
        "downloadUrlExpiry": dates.render(expires),
    }


def decision_body(
    app_id: str, customer_id: str, decision: Decision, packages: list[dict[str, Any]], explain: bool
) -> dict[str, Any]:
    """A decision in the delivery API's JSON, with the package entries given (the device endpoints give their
    own stable download URLs)."""
    body: dict[str, Any] = {
        "applicationId": app_id,
        "customerId": customer_id,
        "submissionId": decision.submission_id,
        "source": decision.source,
        "flightId": decision.flight_id,
        "reason": decision.reason,
        "packages": packages,
        "isMandatoryUpdate": decision.is_mandatory,
        "mandatoryUpdateEffectiveDate": dates.render(decision.mandatory_date),
    }
    if explain:
        e = decision.explanation
        body["explanation"] = {
            "flights": list(e.flights),
            "chosenFlight": e.chosen_flight,
            "bucket": e.bucket,
            "threshold": e.threshold,
            "inRollout": e.in_rollout,
            "notes": list(e.notes),
            "bucketScale": 1_000_000,
        }
    return body


def _render(
    api: Api, app_id: str, device: Device, decision: Decision, explain: bool, expires: datetime
) -> dict[str, Any]:
    blobs, public_url = cast(Hashable, api.state.blobs), api.public_url
    signer = api.state.sas_key
    packages = [_package(blobs, p, public_url, expires, signer) for p in decision.packages]
    return decision_body(app_id, device.customer_id, decision, packages, explain)


def _acquire(api: Api, application_id: str) -> Snapshot:
    with api.tx() as tx:
        return api.state.delivery.get(
            tx, api.caller.tenant_id, application_id.upper(), lambda: load_app(tx, api.ctx, application_id)
        )


async def delivery(request: Request) -> Response:
    """GET .../applications/{application_id}/delivery: a plain Starlette endpoint (FastAPI's dependency and
    parameter machinery cost more than the decision itself; see docs/benchmarks.md)."""
    api = await authenticate(request)
    application_id = request.path_params["application_id"]
    device, explain = read_device(read_query(request.scope["query_string"]))
    snapshot = None
    if not api.check_client or api.state.clients.known(api.caller):
        snapshot = api.state.delivery.fresh(api.caller.tenant_id, application_id.upper())
    if snapshot is None:  # (re)building can take seconds for a large app: never on the event loop
        snapshot = await run_in_threadpool(_acquire, api, application_id)
    decision = decide(snapshot.app, device, snapshot.groups(device.customer_id))
    if (counted := metrics.ACTIVE) is not None:
        counted.decided(decision.reason, "delivery_api")
    app_id, expires = snapshot.app.app_id, _expiry(dates.utcnow())
    if not explain:  # the usual answer: mostly encoded once per decision and hour
        key = (expires, api.public_url, api.state.blobs)
        body = answer_bytes(
            app_id, device.customer_id, decision, key, lambda d: _render(api, app_id, device, d, False, expires)
        )
        if body is not None:
            return Response(body, media_type=StoreJSONResponse.media_type)
    return ok(_render(api, app_id, device, decision, explain, expires))


PATH = "/v1.0/my/applications/{application_id}/delivery"
ROUTE = Route(PATH, delivery, methods=["GET"], name="delivery")
OPENAPI = {
    PATH: {
        "get": {
            "tags": ["delivery (extension)"],
            "summary": "Which packages a customer's device gets (storeflight extension)",
            "operationId": "delivery",
            "parameters": [
                {"name": "application_id", "in": "path", "required": True, "schema": {"type": "string"}},
                *OPENAPI_PARAMETERS,
            ],
            "responses": {
                "200": {"description": "The decision", "content": {"application/json": {"schema": {"type": "object"}}}},
            },
        }
    }
}
