"""Mozilla pushmsixscript (Python, requests), app submissions, replayed: clients.md section (a.4), with (d).

`store_url` is `<base>/v1.0/my/applications/`; one `requests.Session` with `Authorization: Bearer`,
`Content-type: application/json` and `User-Agent: Python` on every call. GET the app and abort if the key
`pendingApplicationSubmission` is present; POST `{app}/submissions` without a body; PUT the whole object back
(every existing package PendingDelete, new ones appended with the first package's DirectX/RAM values,
optional rollout %), encoded with the charset of the create response; POST `/commit` and parse its JSON;
GET `/status`. App submissions carry fields the server does not interpret (listings, pricing, ...): they
must come back as sent. The blob upload is left out (the upload endpoint is a later issue).
"""

from __future__ import annotations

import copy
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.storage.blob import BlobClient

from tests.clients.replay import (
    Reply,
    Trace,
    build_msix,
    cli_create_app,
    json_reply,
    run_pipeline,
    seed_app_baseline,
    status_details,
    submission_shape,
    uploaded_package,
)
from tests.support import Tenant

OK_STATUSES = {"PreProcessing", "Certification", "Release", "PendingPublication", "Publishing", "Published"}
FAILED_STATUSES = {"CommitFailed", "PreProcessingFailed", "CertificationFailed", "ReleaseFailed",
                   "PublishFailed", "Canceled"}

# What the last published submission of a real app carries besides packages (get-app-data / app submissions).
APP_FIELDS: dict[str, Any] = {
    "applicationCategory": "NotSet",
    "pricing": {"trialPeriod": "NoFreeTrial", "marketSpecificPricings": {}, "sales": [], "priceId": "Free",
                "isAdvancedPricingModel": True},
    "visibility": "Public",
    "listings": {"en-us": {"baseListing": {"title": "Firefox Nightly", "description": "Fast.", "features": [],
                                           "images": [], "keywords": ["browser"], "releaseNotes": ""},
                           "platformOverrides": {}}},
    "hardwarePreferences": [],
    "automaticBackupEnabled": False,
    "canInstallOnRemovableMedia": True,
    "isGameDvrEnabled": False,
    "gamingOptions": [],
    "hasExternalInAppProducts": False,
    "meetAccessibilityGuidelines": True,
    "allowTargetFutureDeviceFamilies": {"Desktop": True, "Mobile": False, "Holographic": False,
                                        "Xbox": False},
    "allowMicrosoftDecideAppAvailabilityToFutureDeviceFamilies": False,
    "enterpriseLicensing": "Online",
    "friendlyName": "Submission 7",
    "trailers": [],
}


@dataclass
class PushMsix:
    """microsoft_store.py `_push_to_store` and its helpers."""

    store_url: str
    token: str
    trace: Trace = field(default_factory=Trace)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.headers = {"Authorization": f"Bearer {self.token}", "Content-type": "application/json",
                        "User-Agent": "Python"}

    def send(self, method: str, tail: str, data: bytes | None = None) -> tuple[Reply, requests.Response]:
        response = self.session.request(method, self.store_url + tail, data=data, headers=self.headers,
                                        timeout=30)
        reply = Reply.of_requests(response)
        self.trace.record(reply)
        response.raise_for_status()
        return reply, response

    def check_for_pending_submission(self, app_id: str) -> bool:
        reply, _ = self.send("GET", app_id)
        return "pendingApplicationSubmission" in json_reply(reply, 200)

    def create_submission(self, app_id: str) -> tuple[Any, str]:
        reply, response = self.send("POST", f"{app_id}/submissions")
        body = json_reply(reply, (200, 201))
        assert response.encoding == "utf-8"  # the PUT below is encoded with it; None would crash
        return body, str(response.encoding)

    def update_submission(self, app_id: str, submission: dict[str, Any], files: list[str], encoding: str,
                          rollout: float | None) -> Any:
        request = craft_request(submission, files, rollout)
        upload_url = request.get("fileUploadUrl").replace("+", "%2B")
        assert upload_url.startswith("http")
        body = json.dumps(request).encode(encoding)
        reply, _ = self.send("PUT", f"{app_id}/submissions/{submission['id']}", body)
        return json_reply(reply, 200)

    def upload(self, upload_url: str, files: list[str], work_dir: Path) -> None:
        """The ZIP of the builds under their upload names, sent with azure-storage-blob's BlobClient."""
        zip_file_name = work_dir / "pushmsix.zip"
        with zipfile.ZipFile(zip_file_name, "w") as zf:
            for path, name in upload_names(files).items():
                zf.write(path, arcname=name)
        blob_client = BlobClient.from_blob_url(upload_url.replace("+", "%2B"))
        with zip_file_name.open("rb") as f:
            blob_client.upload_blob(f, blob_type="BlockBlob", logging_enable=False)

    def commit(self, app_id: str, submission_id: str) -> Any:
        reply, _ = self.send("POST", f"{app_id}/submissions/{submission_id}/commit")
        return json_reply(reply, (200, 202))  # `response.json()`

    def status(self, app_id: str, submission_id: str) -> Any:
        reply, _ = self.send("GET", f"{app_id}/submissions/{submission_id}/status")
        return json_reply(reply, 200)


DATESTAMP = time.strftime("%y%m%d")  # the script's `time.strftime("%y%m%d")`, fixed for the whole test run


def upload_names(files: list[str]) -> dict[str, str]:
    """The script's upload file names: `target.store.<yymmdd>.<index>.msix`, the same on every push of a day."""
    return {path: f"target.store.{DATESTAMP}.{index}.msix" for index, path in enumerate(files, start=1)}


def craft_request(submission: dict[str, Any], files: list[str], rollout: float | None) -> dict[str, Any]:
    """`_craft_new_submission_request_and_upload_file_names`."""
    request = copy.deepcopy(submission)
    if request.get("applicationCategory") == "NotSet":
        request["applicationCategory"] = "Productivity"
    for package in request.get("applicationPackages", []):
        package["fileStatus"] = "PendingDelete"
    first = request["applicationPackages"][0]  # the script indexes [0]: a published app has packages
    for name in upload_names(files).values():
        request["applicationPackages"].append({
            "fileName": name, "fileStatus": "PendingUpload",
            "minimumDirectXVersion": first["minimumDirectXVersion"],
            "minimumSystemRam": first["minimumSystemRam"],
        })
    if rollout is not None:
        request["packageDeliveryOptions"]["packageRollout"]["isPackageRollout"] = True
        request["packageDeliveryOptions"]["packageRollout"]["packageRolloutPercentage"] = rollout
    return request


@pytest.fixture
def push(tenant: Tenant) -> Iterator[PushMsix]:
    client = PushMsix(f"{tenant.server.url}/v1.0/my/applications/", tenant.token)
    yield client
    client.session.close()


def seed_firefox(tenant: Tenant, app_id: str) -> None:
    packages = [uploaded_package("target.store.231201.1.msix", "120.0.0.0"),
                uploaded_package("target.store.231201.2.msix", "120.0.0.0")]
    seed_app_baseline(tenant.server.store, tenant.tenant_id, app_id, packages, copy.deepcopy(APP_FIELDS))


def test_pushmsix_creates_replaces_packages_commits_and_polls_an_app_submission(
    push: PushMsix, tenant: Tenant, app_id: str
) -> None:
    seed_firefox(tenant, app_id)
    assert push.check_for_pending_submission(app_id) is False

    submission, encoding = push.create_submission(app_id)
    submission_shape(submission, flight_id=None, packages_key="applicationPackages")
    assert "flightId" not in submission
    for key, value in APP_FIELDS.items():  # the clone of the last published submission keeps them all
        assert submission[key] == value, key
    assert [(p["fileName"], p["fileStatus"]) for p in submission["applicationPackages"]] == [
        ("target.store.231201.1.msix", "Uploaded"), ("target.store.231201.2.msix", "Uploaded"),
    ]

    updated = push.update_submission(app_id, submission, ["/builds/x64.msix", "/builds/arm64.msix"], encoding,
                                     rollout=25.0)
    submission_shape(updated, flight_id=None, packages_key="applicationPackages")
    today = DATESTAMP
    assert [(p["fileName"], p["fileStatus"]) for p in updated["applicationPackages"]] == [
        ("target.store.231201.1.msix", "PendingDelete"), ("target.store.231201.2.msix", "PendingDelete"),
        (f"target.store.{today}.1.msix", "PendingUpload"), (f"target.store.{today}.2.msix", "PendingUpload"),
    ]
    assert updated["applicationCategory"] == "Productivity"
    for key, value in APP_FIELDS.items():
        if key != "applicationCategory":
            assert updated[key] == value, key
    rollout = updated["packageDeliveryOptions"]["packageRollout"]
    assert (rollout["isPackageRollout"], rollout["packageRolloutPercentage"]) == (True, 25.0)

    assert push.commit(app_id, submission["id"])["status"] == "CommitStarted"
    status = push.status(app_id, submission["id"])
    assert status["status"] == "CommitStarted"  # polled again in 30 s; neither OK-terminal nor failed
    assert status["status"] not in OK_STATUSES | FAILED_STATUSES
    status_details(status["statusDetails"])

    tail = f"/v1.0/my/applications/{app_id}"
    s = submission["id"]
    assert push.trace.calls == [
        f"GET {tail}", f"POST {tail}/submissions", f"PUT {tail}/submissions/{s}",
        f"POST {tail}/submissions/{s}/commit", f"GET {tail}/submissions/{s}/status",
    ]
    assert push.trace.fresh_correlation_ids()


def test_pushmsix_aborts_when_the_app_has_a_pending_submission(
    push: PushMsix, tenant: Tenant, app_id: str
) -> None:
    seed_firefox(tenant, app_id)
    submission, _ = push.create_submission(app_id)
    push.trace.reset()

    assert push.check_for_pending_submission(app_id) is True
    app = json_reply(push.send("GET", app_id)[0], 200)
    assert app["pendingApplicationSubmission"] == {
        "id": submission["id"], "resourceLocation": f"applications/{app_id}/submissions/{submission['id']}",
    }
    second = push.session.post(push.store_url + f"{app_id}/submissions", headers=push.headers, timeout=30)
    assert second.status_code == 409
    assert second.json()["code"] == "InvalidState"


IDENTITY, PUBLISHER = "Mozilla.FirefoxNightly", "CN=Mozilla Test"


def test_pushmsix_pushes_twice_a_day_to_an_app_made_by_create_app(
    push: PushMsix, tenant: Tenant, tmp_path: Path
) -> None:
    """The whole push, upload and pipeline included, three times on one day: the first copy is of the
    baseline `create-app` made (its package [0] gives DirectX/RAM), later ones list yesterday's names twice."""
    app_id = cli_create_app(tenant, "Firefox Nightly", IDENTITY, PUBLISHER)
    today = DATESTAMP
    for run, version in enumerate(["130.0.1.0", "130.0.2.0", "130.0.3.0"], start=1):
        builds = [str(build_msix(tmp_path / str(run), IDENTITY, PUBLISHER, version, arch)) for arch in ("x64", "x86")]
        assert push.check_for_pending_submission(app_id) is False
        submission, encoding = push.create_submission(app_id)
        first = submission["applicationPackages"][0]
        assert (first["fileStatus"], first["minimumDirectXVersion"], first["minimumSystemRam"]) == (
            "Uploaded", "None", "None",
        )
        updated = push.update_submission(app_id, submission, builds, encoding, rollout=None)
        if run > 1:  # the previous push's packages leave under the names the new ones arrive with
            assert [(p["fileName"], p["fileStatus"]) for p in updated["applicationPackages"]] == [
                (f"target.store.{today}.1.msix", "PendingDelete"), (f"target.store.{today}.2.msix", "PendingDelete"),
                (f"target.store.{today}.1.msix", "PendingUpload"), (f"target.store.{today}.2.msix", "PendingUpload"),
            ]
        push.upload(submission["fileUploadUrl"], builds, tmp_path)
        assert push.commit(app_id, submission["id"])["status"] == "CommitStarted"
        run_pipeline(tenant)
        assert push.status(app_id, submission["id"])["status"] == "Published"
        published = tenant.http.get(f"applications/{app_id}/submissions/{submission['id']}").json()
        assert sorted((p["fileName"], p["version"], p["architecture"]) for p in published["applicationPackages"]) == [
            (f"target.store.{today}.1.msix", version, "x64"), (f"target.store.{today}.2.msix", version, "x86"),
        ]
