"""Every status x operation cell of store-api.md section 3.3 that the foundation covers, over real HTTP."""

from __future__ import annotations

import pytest

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import Origin, RolloutStatus
from tests.support import Tenant, force_state

DELETABLE = {
    Status.PENDING_COMMIT,
    Status.COMMIT_FAILED,
    Status.PRE_PROCESSING_FAILED,
    Status.CERTIFICATION_FAILED,
    Status.RELEASE_FAILED,
    Status.PUBLISH_FAILED,
    Status.CANCELED,
}
STATUSES = [s for s in Status if s != Status.NONE]


def _flight_with_submission(tenant: Tenant, app_id: str, status: Status) -> tuple[str, str]:
    flight = tenant.create_flight(app_id)
    submission_id = flight["pendingFlightSubmission"]["id"]
    base = f"applications/{app_id}/flights/{flight['flightId']}"
    force_state(tenant.server, tenant, submission_id, status=status)
    return base, submission_id


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_get_and_status_work_in_every_state(tenant: Tenant, app_id: str, status: Status) -> None:
    base, sid = _flight_with_submission(tenant, app_id, status)
    got = tenant.http.get(f"{base}/submissions/{sid}")
    assert got.status_code == 200
    assert got.json()["status"] == status.value
    state = tenant.http.get(f"{base}/submissions/{sid}/status")
    assert state.status_code == 200
    assert state.json() == {
        "status": status.value,
        "statusDetails": {"errors": [], "warnings": [], "certificationReports": []},
    }


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_update_only_in_pending_commit(tenant: Tenant, app_id: str, status: Status) -> None:
    base, sid = _flight_with_submission(tenant, app_id, status)
    response = tenant.http.put(f"{base}/submissions/{sid}", json={"notesForCertification": "changed"})
    after = tenant.http.get(f"{base}/submissions/{sid}").json()
    if status == Status.PENDING_COMMIT:
        assert response.status_code == 200
        assert after["notesForCertification"] == "changed"
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "InvalidState"
        assert after["notesForCertification"] == ""


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_commit_only_in_pending_commit(tenant: Tenant, app_id: str, status: Status) -> None:
    base, sid = _flight_with_submission(tenant, app_id, status)
    response = tenant.http.post(f"{base}/submissions/{sid}/commit")
    after = tenant.http.get(f"{base}/submissions/{sid}/status").json()["status"]
    if status == Status.PENDING_COMMIT:
        assert response.status_code == 200
        assert response.json() == {"status": "CommitStarted"}
        assert after == "CommitStarted"
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "InvalidState"
        assert after == status.value


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_delete_only_pending_or_failed(tenant: Tenant, app_id: str, status: Status) -> None:
    base, sid = _flight_with_submission(tenant, app_id, status)
    response = tenant.http.delete(f"{base}/submissions/{sid}")
    after = tenant.http.get(f"{base}/submissions/{sid}")
    if status in DELETABLE:
        assert response.status_code == 204
        assert response.content == b""
        assert after.status_code == 404
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "InvalidState"
        assert after.status_code == 200


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_create_is_refused_while_a_submission_is_pending(tenant: Tenant, app_id: str, status: Status) -> None:
    base, sid = _flight_with_submission(tenant, app_id, status)
    response = tenant.http.post(f"{base}/submissions")
    if status in (Status.PUBLISHED, Status.CANCELED):
        assert response.status_code == 201
        assert response.json()["status"] == "PendingCommit"
        assert response.json()["id"] != sid
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "InvalidState"
        flight = tenant.http.get(base).json()
        assert flight["pendingFlightSubmission"]["id"] == sid


@pytest.mark.parametrize("status", STATUSES, ids=str)
def test_delete_flight_depends_on_its_pending_submission(tenant: Tenant, app_id: str, status: Status) -> None:
    base, _ = _flight_with_submission(tenant, app_id, status)
    response = tenant.http.delete(base)
    if status in DELETABLE or status == Status.PUBLISHED:
        assert response.status_code == 204
        assert tenant.http.get(base).status_code == 404
    else:
        assert response.status_code == 409
        assert tenant.http.get(base).status_code == 200


@pytest.mark.parametrize("operation", ["update", "commit", "delete"])
def test_partner_center_submissions_cannot_be_changed_through_the_api(
    tenant: Tenant, app_id: str, operation: str
) -> None:
    base, sid = _flight_with_submission(tenant, app_id, Status.PENDING_COMMIT)
    force_state(tenant.server, tenant, sid, origin=Origin.PORTAL)
    url = f"{base}/submissions/{sid}"
    response = {
        "update": lambda: tenant.http.put(url, json={"notesForCertification": "x"}),
        "commit": lambda: tenant.http.post(f"{url}/commit"),
        "delete": lambda: tenant.http.delete(url),
    }[operation]()
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["source"], body["target"]) == (
        "InvalidOperation",
        "Ingestion Api",
        "applicationSubmission",
    )
    got = tenant.http.get(url).json()
    assert got["status"] == "PendingCommit"
    assert "fileUploadUrl" not in got


def test_create_is_refused_while_the_published_rollout_is_in_progress(tenant: Tenant, app_id: str) -> None:
    base, sid = _flight_with_submission(tenant, app_id, Status.PUBLISHED)
    with tenant.server.store.transaction(write=True) as tx:
        published = tx.get_submission(tenant.tenant_id, sid)
        assert published is not None
        rollout = published.delivery.rollout.model_copy(
            update={"is_package_rollout": True, "percentage": 25.0, "status": RolloutStatus.IN_PROGRESS}
        )
        tx.save_submission(
            published.model_copy(update={"delivery": published.delivery.model_copy(update={"rollout": rollout})})
        )
    response = tenant.http.post(f"{base}/submissions")
    assert response.status_code == 409
    assert "rollout" in response.json()["message"]


def test_a_submission_of_another_flight_is_409(tenant: Tenant, app_id: str) -> None:
    base_a, sid_a = _flight_with_submission(tenant, app_id, Status.PENDING_COMMIT)
    flight_b = tenant.create_flight(app_id, "other")
    response = tenant.http.get(f"applications/{app_id}/flights/{flight_b['flightId']}/submissions/{sid_a}")
    assert response.status_code == 409
    assert response.json()["code"] == "InvalidState"
    assert tenant.http.get(f"{base_a}/submissions/{sid_a}").status_code == 200
