"""Flight and app submissions over real HTTP: shapes, PUT semantics, clone rule, upload URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import FileStatus
from tests.support import Tenant, force_state, new_tenant

UNSET = "1601-01-01T00:00:00.0000000Z"


def _new(tenant: Tenant, app_id: str) -> tuple[str, dict[str, Any]]:
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions"
    sub = tenant.http.get(f"{base}/{flight['pendingFlightSubmission']['id']}").json()
    return base, sub


def test_flight_submission_has_the_complete_documented_shape(tenant: Tenant, app_id: str) -> None:
    _, sub = _new(tenant, app_id)
    assert set(sub) == {
        "id",
        "flightId",
        "status",
        "statusDetails",
        "flightPackages",
        "packageDeliveryOptions",
        "fileUploadUrl",
        "targetPublishMode",
        "targetPublishDate",
        "notesForCertification",
    }
    assert sub["packageDeliveryOptions"] == {
        "packageRollout": {
            "isPackageRollout": False,
            "packageRolloutPercentage": 0.0,
            "packageRolloutStatus": "PackageRolloutNotStarted",
            "fallbackSubmissionId": "0",
        },
        "isMandatoryUpdate": False,
        "mandatoryUpdateEffectiveDate": UNSET,
    }
    assert sub["targetPublishDate"] == UNSET
    assert sub["targetPublishMode"] == "Immediate"
    assert len(sub["id"]) == 19 and sub["id"].isdigit()


def test_upload_url_is_a_path_style_sas_with_future_expiry(tenant: Tenant, app_id: str) -> None:
    _, sub = _new(tenant, app_id)
    url = urlsplit(sub["fileUploadUrl"])
    assert url.netloc == f"127.0.0.1:{tenant.server.port}"
    assert len(url.path.strip("/").split("/")) == 3
    query = parse_qs(url.query)
    assert set(query) == {"sv", "sr", "sig", "se", "sp"}
    assert query["sr"] == ["b"] and query["sp"] == ["rwl"]
    assert not set("+/=") & set(query["sig"][0])
    assert datetime.fromisoformat(query["se"][0].replace("Z", "+00:00")) > datetime.now(UTC)


def test_put_adds_and_keeps_packages_and_sets_delivery_options(tenant: Tenant, app_id: str) -> None:
    base, sub = _new(tenant, app_id)
    sub["flightPackages"] = [{"fileName": "pkgs/app_1.0.0.0_x64.msix", "fileStatus": "PendingUpload"}]
    sub["packageDeliveryOptions"]["packageRollout"] = {"isPackageRollout": True, "packageRolloutPercentage": "25"}
    sub["packageDeliveryOptions"]["isMandatoryUpdate"] = True
    sub["packageDeliveryOptions"]["mandatoryUpdateEffectiveDate"] = "2030-01-02T03:04:05.1234567Z"
    sub["targetPublishMode"] = "SpecificDate"
    sub["targetPublishDate"] = "2030-02-01T00:00:00+01:00"
    sub["status"] = "Published"  # read-only: ignored
    response = tenant.http.put(f"{base}/{sub['id']}", json=sub)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "PendingCommit"
    assert body["flightPackages"][0]["fileName"] == "pkgs/app_1.0.0.0_x64.msix"
    assert body["flightPackages"][0]["fileStatus"] == "PendingUpload"
    assert body["flightPackages"][0]["minimumDirectXVersion"] == "None"
    rollout = body["packageDeliveryOptions"]["packageRollout"]
    assert rollout == {
        "isPackageRollout": True,
        "packageRolloutPercentage": 25.0,
        "packageRolloutStatus": "PackageRolloutNotStarted",
        "fallbackSubmissionId": "0",
    }
    assert body["packageDeliveryOptions"]["mandatoryUpdateEffectiveDate"] == "2030-01-02T03:04:05.1234560Z"
    assert body["targetPublishDate"] == "2030-01-31T23:00:00.0000000Z"
    assert tenant.http.get(f"{base}/{sub['id']}").json() == body


def test_put_accepts_pascal_case_and_explicit_nulls(tenant: Tenant, app_id: str) -> None:
    base, sub = _new(tenant, app_id)
    body = {
        "FlightPackages": [
            {
                "Id": None,
                "FileName": "a.msix",
                "FileStatus": "PendingUpload",
                "MinimumDirectXVersion": None,
                "MinimumSystemRam": None,
            }
        ],
        "PackageDeliveryOptions": {
            "PackageRollout": {
                "IsPackageRollout": False,
                "PackageRolloutPercentage": 0,
                "PackageRolloutStatus": None,
                "FallbackSubmissionId": None,
            },
            "IsMandatoryUpdate": False,
            "MandatoryUpdateEffectiveDate": None,
        },
        "TargetPublishMode": "Immediate",
        "TargetPublishDate": None,
        "NotesForCertification": None,
    }
    response = tenant.http.put(f"{base}/{sub['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["flightPackages"][0]["fileName"] == "a.msix"


def test_clone_copies_the_last_published_submission(tenant: Tenant, app_id: str) -> None:
    base, sub = _new(tenant, app_id)
    sub["notesForCertification"] = "carry me"
    sub["targetPublishMode"] = "Manual"
    assert tenant.http.put(f"{base}/{sub['id']}", json=sub).status_code == 200
    force_state(tenant.server, tenant, sub["id"], status=Status.PUBLISHED)
    created = tenant.http.post(f"{base}?isMinimalResponse=true")
    assert created.status_code == 201
    clone = created.json()
    assert clone["id"] != sub["id"]
    assert clone["fileUploadUrl"] != sub["fileUploadUrl"]
    assert (clone["notesForCertification"], clone["targetPublishMode"]) == ("carry me", "Manual")
    flight = tenant.http.get(base.rsplit("/", 1)[0]).json()
    assert flight["lastPublishedFlightSubmission"]["id"] == sub["id"]
    assert flight["pendingFlightSubmission"]["id"] == clone["id"]


def test_pending_delete_of_an_unknown_package_is_400(tenant: Tenant, app_id: str) -> None:
    base, sub = _new(tenant, app_id)
    response = tenant.http.put(
        f"{base}/{sub['id']}", json={"flightPackages": [{"fileName": "x.msix", "fileStatus": "PendingDelete"}]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"


def _published_clone_with(tenant: Tenant, app_id: str, name: str) -> tuple[str, dict[str, Any]]:
    """A flight whose published submission holds `name` (as ingestion leaves it), and its pending clone."""
    base, sub = _new(tenant, app_id)
    tenant.http.put(f"{base}/{sub['id']}", json={"flightPackages": [{"fileName": name, "fileStatus": "PendingUpload"}]})
    with tenant.server.store.transaction(write=True) as tx:
        stored = tx.get_submission(tenant.tenant_id, sub["id"])
        assert stored is not None
        packages = [p.model_copy(update={"file_status": FileStatus.UPLOADED, "id": "1152921504606846977",
                                         "version": "1.0.0.0", "architecture": "x64"}) for p in stored.packages]
        tx.save_submission(stored.model_copy(update={"status": Status.PUBLISHED, "packages": packages,
                                                     "published_at": datetime.now(UTC)}))
    clone = tenant.http.post(base).json()
    return base, clone


def test_one_file_name_may_leave_and_arrive_in_one_put(tenant: Tenant, app_id: str) -> None:
    base, clone = _published_clone_with(tenant, app_id, "installer.msix")
    (old,) = clone["flightPackages"]
    old["fileStatus"] = "PendingDelete"
    clone["flightPackages"].append({"fileName": "installer.msix", "fileStatus": "PendingUpload"})
    response = tenant.http.put(f"{base}/{clone['id']}", json=clone)
    assert response.status_code == 200, response.text
    assert [(p["fileName"], p["fileStatus"], p["version"]) for p in response.json()["flightPackages"]] == [
        ("installer.msix", "PendingDelete", "1.0.0.0"), ("installer.msix", "PendingUpload", ""),
    ]


@pytest.mark.parametrize(("first", "second"), [("PendingUpload", "PendingUpload"), ("Uploaded", "PendingUpload"),
                                               ("Uploaded", "Uploaded")])
def test_other_repeats_of_a_file_name_are_400(tenant: Tenant, app_id: str, first: str, second: str) -> None:
    base, clone = _published_clone_with(tenant, app_id, "installer.msix")
    entries = [{"fileName": "installer.msix", "fileStatus": status} for status in (first, second)]
    response = tenant.http.put(f"{base}/{clone['id']}", json={"flightPackages": entries})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and "listed twice" in body["message"]


def test_specific_date_without_a_date_is_400(tenant: Tenant, app_id: str) -> None:
    base, sub = _new(tenant, app_id)
    response = tenant.http.put(f"{base}/{sub['id']}", json={"targetPublishMode": "SpecificDate"})
    assert response.status_code == 400
    assert response.json()["target"] == "targetPublishDate"


def test_app_submission_keeps_unknown_fields_and_uses_application_packages(tenant: Tenant, app_id: str) -> None:
    created = tenant.http.post(f"applications/{app_id}/submissions")
    assert created.status_code == 201, created.text
    sub = created.json()
    assert "flightId" not in sub and sub["applicationPackages"] == []
    sub["listings"] = {"en-us": {"baseListing": {"title": "Contoso"}}}
    sub["Pricing"] = {"priceId": "Free"}
    sub["applicationPackages"].append({"fileName": "a.msixupload", "fileStatus": "PendingUpload"})
    updated = tenant.http.put(f"applications/{app_id}/submissions/{sub['id']}", json=sub)
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["listings"] == {"en-us": {"baseListing": {"title": "Contoso"}}}
    assert body["pricing"] == {"priceId": "Free"}
    app = tenant.http.get(f"applications/{app_id}").json()
    assert app["pendingApplicationSubmission"]["id"] == sub["id"]
    assert app["pendingApplicationSubmission"]["resourceLocation"] == f"applications/{app_id}/submissions/{sub['id']}"
    commit = tenant.http.post(f"applications/{app_id}/submissions/{sub['id']}/Commit")
    assert commit.json() == {"status": "CommitStarted"}


def test_a_line_lists_its_submissions_pending_first_and_only_to_its_tenant(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions"
    listed = tenant.http.get(base, params={"top": 1})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["totalCount"] == 1 and body["value"][0]["id"] == flight["pendingFlightSubmission"]["id"]
    assert body["value"][0]["status"] == "PendingCommit" and "fileUploadUrl" not in body["value"][0]
    app_line = tenant.http.get(f"applications/{app_id}/submissions").json()
    assert [s["status"] for s in app_line["value"]] == ["Published"]  # the baseline
    other = new_tenant(tenant.server)
    assert other.http.get(base).status_code == 404
    assert other.http.get(f"applications/{app_id}/submissions").status_code == 404
