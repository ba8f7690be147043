"""The Microsoft docs Python sample for flights, replayed: clients.md section (a.5), with (d).

One keep-alive `http.client` connection for every call; `Authorization`, `Content-type: application/json`
and `User-Agent: Python` on every request, GET and DELETE included, with the body `""` where the sample has
no payload. It reads `flightId` and `pendingFlightSubmission.id` from the create-flight response, tests the
key `pendingFlightSubmission` before indexing into it, and reads `id`/`fileUploadUrl` from the
create-submission response. (The sample talks HTTPS to the fixed host; loopback HTTP here. The blob upload
is left out: the upload endpoint is a later issue.)
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.clients.replay import (
    Reply,
    Trace,
    deleted_reply,
    error_reply,
    future_upload_url,
    json_reply,
    status_details,
    submission_shape,
)
from tests.support import Tenant

# The update JSON of the sample (update-a-flight-submission), as a user would paste it.
SAMPLE_UPDATE = {
    "flightPackages": [
        {"fileName": "newPackage.appx", "fileStatus": "PendingUpload", "minimumDirectXVersion": "None",
         "minimumSystemRam": "None"},
    ],
    "packageDeliveryOptions": {
        "packageRollout": {"isPackageRollout": False, "packageRolloutPercentage": 0.0,
                           "packageRolloutStatus": "PackageRolloutNotStarted", "fallbackSubmissionId": "0"},
        "isMandatoryUpdate": False,
        "mandatoryUpdateEffectiveDate": "1601-01-01T00:00:00.0000000Z",
    },
    "targetPublishMode": "Immediate",
    "targetPublishDate": "",
    "notesForCertification": "No special steps are required for certification of this app.",
}


@dataclass
class Sample:
    """The sample's single connection and its three headers."""

    base_url: str
    token: str
    trace: Trace = field(default_factory=Trace)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        self.headers = {"Authorization": f"Bearer {self.token}", "Content-type": "application/json",
                        "User-Agent": "Python"}
        self.socket: Any = None

    def call(self, method: str, path: str, body: str = "") -> Reply:
        self.conn.request(method, f"/v1.0/my/{path}", body, self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if self.socket is None:
            self.socket = self.conn.sock
        assert self.conn.sock is self.socket, "the server closed the keep-alive connection"
        headers = {k.lower(): v for k, v in response.getheaders()}
        reply = Reply(method, f"{self.base_url}/v1.0/my/{path}", response.status, headers, data)
        self.trace.record(reply)
        return reply

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def sample(tenant: Tenant) -> Iterator[Sample]:
    client = Sample(tenant.server.url, tenant.token)
    yield client
    client.close()


def create_flight(sample: Sample, app_id: str, group: str, name: str) -> tuple[str, str]:
    body = json.dumps({"friendlyName": name, "groupIds": [group], "rankHigherThan": None})
    flight = json_reply(sample.call("POST", f"applications/{app_id}/flights", body), 201)
    return flight["flightId"], flight["pendingFlightSubmission"]["id"]


def test_docs_sample_creates_a_flight_replaces_its_submission_commits_and_polls_on_one_connection(
    sample: Sample, tenant: Tenant, app_id: str
) -> None:
    flight_id, first_pending = create_flight(sample, app_id, tenant.create_group(), "Sample flight")
    base = f"applications/{app_id}/flights/{flight_id}"

    flight = json_reply(sample.call("GET", base), 200)
    assert "pendingFlightSubmission" in flight
    pending = flight["pendingFlightSubmission"]["id"]
    assert pending == first_pending
    deleted_reply(sample.call("DELETE", f"{base}/submissions/{pending}"))

    created = json_reply(sample.call("POST", f"{base}/submissions", ""), 201)
    submission_id, upload_url = created["id"], created["fileUploadUrl"]
    submission_shape(created, flight_id=flight_id)
    future_upload_url(upload_url.replace("+", "%2B"))

    put = sample.call("PUT", f"{base}/submissions/{submission_id}", json.dumps(SAMPLE_UPDATE))
    updated = json_reply(put, 200)
    assert [(p["fileName"], p["fileStatus"]) for p in updated["flightPackages"]] == [
        ("newPackage.appx", "PendingUpload")
    ]
    assert updated["targetPublishDate"] == "1601-01-01T00:00:00.0000000Z"
    assert updated["notesForCertification"] == SAMPLE_UPDATE["notesForCertification"]

    committed = json_reply(sample.call("POST", f"{base}/submissions/{submission_id}/commit", ""), (200, 202))
    assert committed["status"] == "CommitStarted"
    status = json_reply(sample.call("GET", f"{base}/submissions/{submission_id}/status"), 200)
    assert status["status"] == "CommitStarted"  # the sample sleeps 60 s and polls again while this holds
    status_details(status["statusDetails"])

    # The sample's last step deletes the flight; while its submission is being committed that is refused
    # (store-api 3.3) with a JSON error the sample can print, on the same connection.
    error_reply(sample.call("DELETE", base), 409, "InvalidState")
    assert json_reply(sample.call("GET", base), 200)["pendingFlightSubmission"]["id"] == submission_id

    assert [c.split(" ", 1)[0] for c in sample.trace.calls] == [
        "POST", "GET", "DELETE", "POST", "PUT", "POST", "GET", "DELETE", "GET",
    ]
    assert sample.trace.fresh_correlation_ids()


def test_docs_sample_deletes_a_new_flight_together_with_its_auto_created_submission(
    sample: Sample, tenant: Tenant, app_id: str
) -> None:
    flight_id, pending = create_flight(sample, app_id, tenant.create_group(), "Throwaway")
    deleted_reply(sample.call("DELETE", f"applications/{app_id}/flights/{flight_id}"))

    error_reply(sample.call("GET", f"applications/{app_id}/flights/{flight_id}"), 404, "ResourceNotFound")
    error_reply(sample.call("GET", f"applications/{app_id}/flights/{flight_id}/submissions/{pending}"), 404)
    again_id, _ = create_flight(sample, app_id, tenant.create_group(), "Throwaway")  # the name is free again
    assert again_id != flight_id


def test_docs_sample_headers_on_get_and_delete_with_an_empty_body_are_accepted(
    sample: Sample, tenant: Tenant, app_id: str
) -> None:
    flight_id, pending = create_flight(sample, app_id, tenant.create_group(), "Headers")
    listed = json_reply(sample.call("GET", f"applications/{app_id}/listflights"), 200)
    assert [f["flightId"] for f in listed["value"]] == [flight_id]
    app = json_reply(sample.call("GET", f"applications/{app_id}"), 200)
    assert app["id"] == app_id
    deleted_reply(sample.call("DELETE", f"applications/{app_id}/flights/{flight_id}/submissions/{pending}"))
    flight = json_reply(sample.call("GET", f"applications/{app_id}/flights/{flight_id}"), 200)
    assert "pendingFlightSubmission" not in flight  # the key is left out, not null
