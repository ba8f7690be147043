"""Rollout health (storeflight extension): device-report numbers of a line's rollout, per cohort and version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from storeflight.domain import dates
from storeflight.http.deps import ApiDep
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.services import health as service
from storeflight.telemetry.health import Totals

router = APIRouter(prefix="/v1.0/my/applications/{application_id}", tags=["rollout health (extension)"])

HoursQuery = Annotated[int, Query(ge=1, le=service.MAX_HOURS, description="Hours of the hourly series and totals.")]
SubmissionQuery = Annotated[
    str | None, Query(max_length=24, description="One of the line's submissions (default: the last published).")
]


def _totals(totals: Totals) -> dict[str, Any]:
    c = totals.counts
    return {
        "devices": c.devices,
        "deviceHours": totals.device_hours,
        "installs": c.installs,
        "updateFailures": c.update_failures,
        "launches": c.launches,
        "crashes": c.crashes,
        "heartbeats": c.heartbeats,
        "crashRate": totals.crash_rate,
        "updateFailureRate": totals.update_failure_rate,
    }


def render(found: service.RolloutHealth, hours: int) -> dict[str, Any]:
    h, sub = found.health, found.submission
    rollout = sub.delivery.rollout if sub is not None else None
    total = h.devices
    return {
        "applicationId": found.app_id,
        "flightId": found.flight_id,
        "submissionId": sub.id if sub is not None else None,
        "fallbackSubmissionId": rollout.fallback_submission_id if rollout is not None else None,
        "isPackageRollout": rollout.is_package_rollout if rollout is not None else False,
        "packageRolloutPercentage": rollout.percentage if rollout is not None else 0.0,
        "packageRolloutStatus": rollout.status.value if rollout is not None else None,
        "hours": hours,
        "devices": total,
        "cohorts": [
            {
                "cohort": cohort.cohort.value,
                **_totals(cohort.totals),
                "versions": [
                    {"version": version, "submissionId": sub_id or None, **_totals(totals)}
                    for (sub_id, version), totals in sorted(cohort.versions.items(), key=lambda i: (i[0][1], i[0][0]))
                ],
            }
            for cohort in h.cohorts.values()
        ],
        "adoption": [
            {"version": version, "submissionId": sub_id or None, "devices": n, "share": n / total if total else None}
            for version, sub_id, n in h.adoption
        ],
        "series": [
            {"hour": dates.render(hour.start), "cohort": hour.cohort.value, **_totals(Totals(hour.counts))}
            for hour in h.hours
        ],
    }


@router.get("/rollouthealth", summary="Device-report health of the app's rollout (storeflight extension)")
async def app_health(
    application_id: str, api: ApiDep, hours: HoursQuery = 168, submissionId: SubmissionQuery = None
) -> StoreJSONResponse:
    found = await api.read(lambda tx: service.rollout_health(tx, api.ctx, application_id, None, submissionId, hours))
    return ok(render(found, hours))


@router.get(
    "/flights/{flight_id}/rollouthealth", summary="Device-report health of a flight's rollout (storeflight extension)"
)
async def flight_health(
    application_id: str,
    flight_id: str,
    api: ApiDep,
    hours: HoursQuery = 168,
    submissionId: SubmissionQuery = None,
) -> StoreJSONResponse:
    found = await api.read(
        lambda tx: service.rollout_health(tx, api.ctx, application_id, flight_id, submissionId, hours)
    )
    return ok(render(found, hours))
