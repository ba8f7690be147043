"""The four rollout endpoints: full rollout object on every answer, 409 unless Published and in progress."""

from __future__ import annotations

from typing import Any

import pytest

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import PackageRollout, RolloutStatus
from tests.support import Tenant, force_state

ACTIONS = ["updatepackagerolloutpercentage?percentage=50", "haltpackagerollout", "finalizepackagerollout"]


def _submission(tenant: Tenant, app_id: str, status: Status, rollout: RolloutStatus) -> str:
    flight = tenant.create_flight(app_id)
    sid = flight["pendingFlightSubmission"]["id"]
    state = PackageRollout(is_package_rollout=rollout != RolloutStatus.NOT_STARTED, percentage=25.0, status=rollout)
    with tenant.server.store.transaction(write=False) as tx:
        current = tx.get_submission(tenant.tenant_id, sid)
    assert current is not None
    force_state(
        tenant.server, tenant, sid, status=status, delivery=current.delivery.model_copy(update={"rollout": state})
    )
    return f"applications/{app_id}/flights/{flight['flightId']}/submissions/{sid}"


@pytest.mark.parametrize("status", [s for s in Status if s != Status.NONE], ids=str)
@pytest.mark.parametrize("rollout", list(RolloutStatus), ids=str)
def test_rollout_changes_only_on_a_published_submission_in_progress(
    tenant: Tenant, app_id: str, status: Status, rollout: RolloutStatus
) -> None:
    base = _submission(tenant, app_id, status, rollout)
    allowed = status == Status.PUBLISHED and rollout == RolloutStatus.IN_PROGRESS
    got = tenant.http.get(f"{base}/packagerollout")
    assert got.status_code == 200
    assert got.json()["packageRolloutStatus"] == rollout.value
    for action in ACTIONS:
        response = tenant.http.post(f"{base}/{action}")
        if not allowed:
            assert response.status_code == 409, action
            assert response.json()["code"] == "InvalidState"
    if not allowed:
        assert tenant.http.get(f"{base}/packagerollout").json() == got.json()


def _rollout(tenant: Tenant, base: str, action: str, **kwargs: Any) -> dict[str, Any]:
    response = tenant.http.post(f"{base}/{action}", **kwargs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"isPackageRollout", "packageRolloutPercentage", "packageRolloutStatus", "fallbackSubmissionId"}
    return body


@pytest.mark.parametrize(("raw", "expected"), [("20", 20.0), ("50.5", 50.5), ("1E-05", 1e-05), ("100", 100.0)])
def test_percentage_comes_from_the_query_as_a_float(tenant: Tenant, app_id: str, raw: str, expected: float) -> None:
    base = _submission(tenant, app_id, Status.PUBLISHED, RolloutStatus.IN_PROGRESS)
    body = _rollout(tenant, base, f"UpdatePackageRolloutPercentage/?percentage={raw}")
    assert body["packageRolloutPercentage"] == expected
    assert body["packageRolloutStatus"] == "PackageRolloutInProgress"


def test_percentage_may_come_in_a_json_body(tenant: Tenant, app_id: str) -> None:
    base = _submission(tenant, app_id, Status.PUBLISHED, RolloutStatus.IN_PROGRESS)
    assert (
        _rollout(tenant, base, "updatepackagerolloutpercentage", json={"percentage": 33})["packageRolloutPercentage"]
        == 33.0
    )


@pytest.mark.parametrize("query", ["", "?percentage=abc", "?percentage=101", "?percentage=-0.5", "?percentage=nan"])
def test_bad_percentages_are_400(tenant: Tenant, app_id: str, query: str) -> None:
    base = _submission(tenant, app_id, Status.PUBLISHED, RolloutStatus.IN_PROGRESS)
    response = tenant.http.post(f"{base}/updatepackagerolloutpercentage{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"
    assert tenant.http.get(f"{base}/packagerollout").json()["packageRolloutPercentage"] == 25.0


def test_halt_stops_at_zero_and_finalize_is_then_refused(tenant: Tenant, app_id: str) -> None:
    base = _submission(tenant, app_id, Status.PUBLISHED, RolloutStatus.IN_PROGRESS)
    halted = _rollout(tenant, base, "haltpackagerollout")
    assert (halted["isPackageRollout"], halted["packageRolloutPercentage"], halted["packageRolloutStatus"]) == (
        True,
        0.0,
        "PackageRolloutStopped",
    )
    assert tenant.http.post(f"{base}/finalizepackagerollout").status_code == 409


def test_finalize_completes_at_one_hundred(tenant: Tenant, app_id: str) -> None:
    base = _submission(tenant, app_id, Status.PUBLISHED, RolloutStatus.IN_PROGRESS)
    done = _rollout(tenant, base, "finalizepackagerollout")
    assert (done["packageRolloutPercentage"], done["packageRolloutStatus"]) == (100.0, "PackageRolloutComplete")
    assert tenant.http.post(f"{base}/haltpackagerollout").status_code == 409
