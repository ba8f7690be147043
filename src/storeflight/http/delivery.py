"""The delivery API (storeflight extension): which packages a customer's device gets, and why."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from storeflight.delivery.decide import decide
from storeflight.delivery.model import Decision, Device, PackageView
from storeflight.delivery.snapshot import Snapshot
from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.http.deps import Api, ApiDep
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.services.context import load_app

router = APIRouter(prefix="/v1.0/my/applications/{application_id}", tags=["delivery (extension)"])
_URL_LIFETIME = timedelta(hours=1)


def _version(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    parts = value.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and len(p) <= 9 for p in parts):
        raise InvalidParameterValue(f"{name} must be a version like 10.0.19045.0, not '{value}'.", target=name)
    return value


def _expiry(now: datetime) -> datetime:
    """Download URLs expire on the hour after next, so one URL serves many requests (and stays cached)."""
    return now.replace(minute=0, second=0, microsecond=0) + 2 * _URL_LIFETIME


def _package(api: Api, p: PackageView, expires: datetime) -> dict[str, Any]:
    url = api.state.blobs.download_url(f"pkg-{p.id}", public_url=api.public_url, expires_at=expires)
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


def _render(api: Api, app_id: str, device: Device, decision: Decision, explain: bool) -> dict[str, Any]:
    expires = _expiry(dates.utcnow())
    body: dict[str, Any] = {
        "applicationId": app_id,
        "customerId": device.customer_id,
        "submissionId": decision.submission_id,
        "source": decision.source,
        "flightId": decision.flight_id,
        "reason": decision.reason,
        "packages": [_package(api, p, expires) for p in decision.packages],
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


def _acquire(api: Api, application_id: str) -> Snapshot:
    with api.tx() as tx:
        return api.state.delivery.get(
            tx, api.caller.tenant_id, application_id.upper(), lambda: load_app(tx, api.ctx, application_id)
        )


@router.get("/delivery", summary="Which packages a customer's device gets (storeflight extension)")
async def delivery(
    application_id: str,
    api: ApiDep,
    customer_id: Annotated[str, Query(alias="customerId", min_length=1, max_length=320)],
    device_family: Annotated[str, Query(alias="deviceFamily", min_length=1, max_length=64)] = "Windows.Desktop",
    os_version: Annotated[str, Query(alias="osVersion", max_length=64)] = "10.0.0.0",
    architecture: Annotated[str, Query(min_length=1, max_length=16)] = "x64",
    installed_version: Annotated[str | None, Query(alias="installedVersion", max_length=64)] = None,
    manual_check: Annotated[bool, Query(alias="manualCheck")] = False,
    explain: bool = False,
) -> StoreJSONResponse:
    device = Device(
        customer_id=customer_id.strip(),
        device_family=device_family,
        os_version=_version(os_version, "osVersion") or "0",
        architecture=architecture.lower(),
        installed_version=_version(installed_version, "installedVersion"),
        manual_check=manual_check,
    )
    snapshot = None
    if not api.check_client or api.state.clients.known(api.caller):
        snapshot = api.state.delivery.fresh(api.caller.tenant_id, application_id.upper())
    if snapshot is None:  # (re)building can take seconds for a large app: never on the event loop
        snapshot = await run_in_threadpool(_acquire, api, application_id)
    decision = decide(snapshot.app, device, snapshot.groups(device.customer_id))
    return ok(_render(api, snapshot.app.app_id, device, decision, explain))
