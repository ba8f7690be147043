"""StoreBroker (PowerShell, master) in proxy mode, replayed request by request: clients.md section (a.1).

StoreBroker builds every URL as `{proxy}/v1.0/my/{fragment}`, sends the literal `Authorization: Bearer PROXY`
(plus the optional `TenantId`/`TenantName`/`UseINT` proxy headers), `Content-Type: application/json;
charset=UTF-8` on every POST and PUT, even body-less ones, and no correlation header. The server accepts
`Bearer PROXY` only with the explicit opt-in `Settings(allow_any_token=<tenant>)` (clients.md (b.1), (g) 7).
Rollout cmdlets are left out: rollout endpoints are a later issue.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storeflight.storage.sql import SqlStore
from tests.clients.replay import (
    Reply,
    Trace,
    application_shape,
    bare_httpx,
    deleted_reply,
    error_reply,
    future_upload_url,
    json_reply,
    parse_store_date,
    publish_flight_submission,
    seed_app,
    seed_group,
    status_details,
    submission_shape,
)
from tests.support import LiveServer, Tenant, make_settings

POWERSHELL_UA = "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.6"
CONTENT_TYPE = "application/json; charset=UTF-8"
_NO_BODY = object()


@dataclass
class StoreBroker:
    """The REST half of StoreBroker (Invoke-SBRestMethod and the flighting cmdlets) in proxy mode."""

    endpoint: str
    tenant_id: str
    trace: Trace = field(default_factory=Trace)

    def __post_init__(self) -> None:
        self.http = bare_httpx({
            "Authorization": "Bearer PROXY", "User-Agent": POWERSHELL_UA,
            "TenantId": self.tenant_id, "TenantName": "Contoso", "UseINT": "true",
        })

    def invoke(self, method: str, fragment: str, body: Any = _NO_BODY) -> Reply:
        headers: dict[str, str] = {}
        content: bytes | None = None
        if method in ("POST", "PUT"):
            headers["Content-Type"] = CONTENT_TYPE
            # ConvertTo-Json -Depth 20, sent as UTF-8 bytes (non-ASCII unescaped on PowerShell 7).
            content = b"" if body is _NO_BODY else json.dumps(body, indent=2, ensure_ascii=False).encode()
        response = self.http.request(method, f"{self.endpoint}/v1.0/my/{fragment}", headers=headers,
                                     content=content)
        if content is not None:
            assert response.request.headers["content-length"] == str(len(content))
            assert response.request.headers["content-type"] == CONTENT_TYPE
        assert "ms-correlationid" not in response.request.headers
        reply = Reply.of_httpx(response)
        self.trace.record(reply)
        return reply

    # --- cmdlets --------------------------------------------------------------------------------------------

    def get_application_flights(self, app_id: str, max_results: int = 100) -> list[dict[str, Any]]:
        """Get-ApplicationFlights -GetAll: `listflights/?top=N&skip=S`, skip += top until a page is empty."""
        flights: list[dict[str, Any]] = []
        skip = 0
        while True:
            fragment = f"applications/{app_id}/listflights/?top={max_results}&skip={skip}"
            page = json_reply(self.invoke("GET", fragment), 200)
            assert isinstance(page["totalCount"], int), page
            if not page["value"]:
                return flights
            assert len(page["value"]) <= max_results, page
            flights += page["value"]
            skip += max_results

    def new_application_flight(self, app_id: str, name: str, group_ids: list[str]) -> dict[str, Any]:
        """New-ApplicationFlight: POST `flights/` (trailing slash); logs the new pending submission's id."""
        flight = json_reply(self.invoke("POST", f"applications/{app_id}/flights/",
                                        {"friendlyName": name, "groupIds": group_ids}), 201)
        assert uuid.UUID(flight["flightId"]).version == 4, flight
        assert flight["pendingFlightSubmission"]["id"].isdigit(), flight
        return flight

    def get_application_flight(self, app_id: str, flight_id: str) -> dict[str, Any]:
        return json_reply(self.invoke("GET", f"applications/{app_id}/flights/{flight_id}"), 200)

    def get_submission(self, app_id: str, flight_id: str, submission_id: str) -> dict[str, Any]:
        body = json_reply(self.invoke("GET", submission_path(app_id, flight_id, submission_id)), 200)
        submission_shape(body, flight_id=flight_id)
        return body

    def new_application_flight_submission(self, app_id: str, flight_id: str) -> dict[str, Any]:
        """New-ApplicationFlightSubmission -Force: delete the pending one, POST minimal, GET the clone."""
        flight = self.get_application_flight(app_id, flight_id)
        if "pendingFlightSubmission" in flight:
            pending = flight["pendingFlightSubmission"]["id"]
            deleted_reply(self.invoke("DELETE", submission_path(app_id, flight_id, pending)))
        create = f"applications/{app_id}/flights/{flight_id}/submissions?isMinimalResponse=true"
        minimal = json_reply(self.invoke("POST", create), 201)
        assert minimal["id"].isdigit(), minimal
        future_upload_url(minimal["fileUploadUrl"])
        return self.get_submission(app_id, flight_id, minimal["id"])

    def set_application_flight_submission(self, app_id: str, submission: dict[str, Any]) -> dict[str, Any]:
        """Set-ApplicationFlightSubmission: PUT the whole object to the ids it carries itself."""
        assert submission["status"] == "PendingCommit"  # StoreBroker refuses anything else client-side
        fragment = submission_path(app_id, submission["flightId"], submission["id"])
        body = json_reply(self.invoke("PUT", fragment, submission), 200)
        submission_shape(body, flight_id=submission["flightId"])
        future_upload_url(body["fileUploadUrl"])  # StoreBroker uploads to the PUT response's URL
        return body

    def complete_application_flight_submission(self, app_id: str, flight_id: str, submission_id: str) -> None:
        """Commit-ApplicationFlightSubmission: POST `/Commit` with a capital C, no body; response ignored."""
        reply = self.invoke("POST", submission_path(app_id, flight_id, submission_id) + "/Commit")
        assert json_reply(reply, (200, 202))["status"] == "CommitStarted"

    def get_flight_submission_status(self, app_id: str, flight_id: str, submission_id: str) -> dict[str, Any]:
        reply = self.invoke("GET", submission_path(app_id, flight_id, submission_id) + "/status")
        body = json_reply(reply, 200)
        status_details(body["statusDetails"])
        return body

    def monitor_once(self, app_id: str, flight_id: str, submission_id: str) -> tuple[str, str, str]:
        """Start-ApplicationFlightSubmissionMonitor: app name, flight name, then the full submission."""
        app = json_reply(self.invoke("GET", f"applications/{app_id}"), 200)
        application_shape(app, app_id)
        flight = self.get_application_flight(app_id, flight_id)
        submission = self.get_submission(app_id, flight_id, submission_id)
        return app["primaryName"], flight["friendlyName"], submission["status"]


def submission_path(app_id: str, flight_id: str, submission_id: str) -> str:
    return f"applications/{app_id}/flights/{flight_id}/submissions/{submission_id}"


def replace_packages(submission: dict[str, Any], new_files: list[str], *, mandatory_date: str,
                     publish_mode: str, notes: str) -> dict[str, Any]:
    """Update-ApplicationFlightSubmission -ReplacePackages -IsMandatoryUpdate -TargetPublishMode ..."""
    clone = copy.deepcopy(submission)
    for package in clone["flightPackages"]:
        package["fileStatus"] = "PendingDelete"
    new = {"fileStatus": "PendingUpload", "minimumDirectXVersion": "None", "minimumSystemRam": "None"}
    clone["flightPackages"] += [{"fileName": n, **new} for n in new_files]  # these four properties only
    clone["packageDeliveryOptions"]["isMandatoryUpdate"] = True
    clone["packageDeliveryOptions"]["mandatoryUpdateEffectiveDate"] = mandatory_date
    clone["targetPublishMode"] = publish_mode
    clone["notesForCertification"] = notes
    return clone


def round_trip_date(when: datetime) -> str:
    """`[DateTime]::ToUniversalTime().ToString('o')`: seven fractional digits and `Z`."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}7Z"


@dataclass
class Proxy:
    server: LiveServer
    tenant_id: str
    store: SqlStore

    def storebroker(self) -> StoreBroker:
        return StoreBroker(self.server.url, self.tenant_id)


@pytest.fixture
def proxy(store: SqlStore, tmp_path: Path) -> Iterator[Proxy]:
    """A server of our own that accepts any bearer (here StoreBroker's `PROXY`) for one tenant."""
    tenant_id = str(uuid.uuid4())
    with LiveServer(store, make_settings(tmp_path, allow_any_token=tenant_id)) as live:
        yield Proxy(live, tenant_id, store)


def test_storebroker_creates_a_flight_then_force_replaces_its_submission_and_commits_it(proxy: Proxy) -> None:
    app_id = seed_app(proxy.store, proxy.tenant_id, name="Contoso Paint")
    group = seed_group(proxy.store, proxy.tenant_id)
    sb = proxy.storebroker()
    sb.new_application_flight(app_id, "Selfhost", [group])
    sb.trace.reset()

    assert [f["friendlyName"] for f in sb.get_application_flights(app_id)] == ["Selfhost"]
    flight = sb.new_application_flight(app_id, "Bêta ring", [group])
    assert flight["friendlyName"] == "Bêta ring"
    assert flight["groupIds"] == [group]
    assert flight["rankHigherThan"] == "Selfhost"
    f = flight["flightId"]
    auto_pending = flight["pendingFlightSubmission"]["id"]
    assert flight["pendingFlightSubmission"]["resourceLocation"] == f"flights/{f}/submissions/{auto_pending}"
    assert sb.get_application_flight(app_id, f)["pendingFlightSubmission"]["id"] == auto_pending

    submission = sb.new_application_flight_submission(app_id, f)
    s = submission["id"]
    assert s != auto_pending
    assert submission["status"] == "PendingCommit"
    assert submission["flightPackages"] == []

    mandatory = datetime.now(UTC).replace(microsecond=654321) + timedelta(days=7)
    patched = replace_packages(submission, ["Paint_2.0.0.0_x64.msix", "Paint_2.0.0.0_arm64.msix"],
                               mandatory_date=round_trip_date(mandatory), publish_mode="Manual",
                               notes="Sign in with the test account.")
    updated = sb.set_application_flight_submission(app_id, patched)
    assert [(p["fileName"], p["fileStatus"], p["minimumDirectXVersion"], p["minimumSystemRam"])
            for p in updated["flightPackages"]] == [
        ("Paint_2.0.0.0_x64.msix", "PendingUpload", "None", "None"),
        ("Paint_2.0.0.0_arm64.msix", "PendingUpload", "None", "None"),
    ]
    options = updated["packageDeliveryOptions"]
    assert options["isMandatoryUpdate"] is True
    assert parse_store_date(options["mandatoryUpdateEffectiveDate"]) == mandatory
    assert updated["targetPublishMode"] == "Manual"
    assert updated["notesForCertification"] == "Sign in with the test account."

    sb.complete_application_flight_submission(app_id, f, s)
    assert sb.monitor_once(app_id, f, s) == ("Contoso Paint", "Bêta ring", "CommitStarted")

    root = f"/v1.0/my/applications/{app_id}"
    assert sb.trace.calls == [
        f"GET {root}/listflights/?top=100&skip=0",
        f"GET {root}/listflights/?top=100&skip=100",
        f"POST {root}/flights/",
        f"GET {root}/flights/{f}",
        f"GET {root}/flights/{f}",
        f"DELETE {root}/flights/{f}/submissions/{auto_pending}",
        f"POST {root}/flights/{f}/submissions?isMinimalResponse=true",
        f"GET {root}/flights/{f}/submissions/{s}",
        f"PUT {root}/flights/{f}/submissions/{s}",
        f"POST {root}/flights/{f}/submissions/{s}/Commit",
        f"GET {root}",
        f"GET {root}/flights/{f}",
        f"GET {root}/flights/{f}/submissions/{s}",
    ]
    assert sb.trace.fresh_correlation_ids()


def test_storebroker_replace_packages_marks_every_published_package_pending_delete(proxy: Proxy) -> None:
    app_id = seed_app(proxy.store, proxy.tenant_id)
    group = seed_group(proxy.store, proxy.tenant_id)
    sb = proxy.storebroker()
    for name in ("Canary", "Release Preview"):
        sb.new_application_flight(app_id, name, [group])
    flight = sb.new_application_flight(app_id, "Selfhost", [group])
    f = flight["flightId"]
    first = f"{sb.endpoint}/v1.0/my/" + submission_path(app_id, f, flight["pendingFlightSubmission"]["id"])
    packages = ["App_1.0_x64.msix", "App_1.0_arm64.msix"]
    publish_flight_submission(sb.http, first, proxy.store, proxy.tenant_id, packages)
    leftover = json_reply(sb.invoke("POST", f"applications/{app_id}/flights/{f}/submissions"), 201)["id"]
    sb.trace.reset()

    listed = sb.get_application_flights(app_id, max_results=2)
    assert [x["friendlyName"] for x in listed] == ["Selfhost", "Release Preview", "Canary"]
    found = next(x for x in listed if x["friendlyName"] == "Selfhost")
    assert found["pendingFlightSubmission"]["id"] == leftover
    published_id = found["lastPublishedFlightSubmission"]["id"]

    clone = sb.new_application_flight_submission(app_id, f)
    assert [(p["fileName"], p["fileStatus"]) for p in clone["flightPackages"]] == [
        ("App_1.0_x64.msix", "Uploaded"), ("App_1.0_arm64.msix", "Uploaded"),
    ]
    old_ids = [p["id"] for p in clone["flightPackages"]]
    assert all(i.isdigit() for i in old_ids)
    assert all(p["version"] and p["targetDeviceFamilies"] for p in clone["flightPackages"])

    # PowerShell 7 turns date strings into DateTime on the way in and re-formats them on the way out.
    mandatory = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    patched = replace_packages(clone, ["App_2.0_x64.msix"], publish_mode="SpecificDate", notes="",
                               mandatory_date="2031-05-06T09:08:09.1234567+02:00")
    patched["targetPublishDate"] = "2031-06-01T00:00:00Z"
    updated = sb.set_application_flight_submission(app_id, patched)
    assert parse_store_date(updated["packageDeliveryOptions"]["mandatoryUpdateEffectiveDate"]) == mandatory
    assert updated["targetPublishMode"] == "SpecificDate"
    assert updated["targetPublishDate"] == "2031-06-01T00:00:00.0000000Z"
    assert [(p["id"], p["fileName"], p["fileStatus"]) for p in updated["flightPackages"]] == [
        (old_ids[0], "App_1.0_x64.msix", "PendingDelete"),
        (old_ids[1], "App_1.0_arm64.msix", "PendingDelete"),
        ("", "App_2.0_x64.msix", "PendingUpload"),
    ]
    sb.complete_application_flight_submission(app_id, f, clone["id"])
    assert sb.get_flight_submission_status(app_id, f, clone["id"])["status"] == "CommitStarted"
    assert sb.get_submission(app_id, f, published_id)["status"] == "Published"

    root = f"/v1.0/my/applications/{app_id}"
    assert sb.trace.calls[:4] == [f"GET {root}/listflights/?top=2&skip={skip}" for skip in (0, 2, 4)] + [
        f"GET {root}/flights/{f}"
    ]
    assert sb.trace.calls[4] == f"DELETE {root}/flights/{f}/submissions/{leftover}"


def test_storebroker_status_and_remove_flight_work_on_a_new_flight(proxy: Proxy) -> None:
    app_id = seed_app(proxy.store, proxy.tenant_id)
    sb = proxy.storebroker()
    flight = sb.new_application_flight(app_id, "Short lived", [seed_group(proxy.store, proxy.tenant_id)])
    f, s = flight["flightId"], flight["pendingFlightSubmission"]["id"]

    status = sb.get_flight_submission_status(app_id, f, s)
    assert status == {"status": "PendingCommit",
                      "statusDetails": {"errors": [], "warnings": [], "certificationReports": []}}
    deleted_reply(sb.invoke("DELETE", f"applications/{app_id}/flights/{f}"))
    error_reply(sb.invoke("GET", f"applications/{app_id}/flights/{f}"), 404, "ResourceNotFound")
    error_reply(sb.invoke("GET", f"applications/{app_id}/flights/{f}/submissions/{s}"), 404)


def test_storebroker_gets_a_printable_404_when_the_app_has_no_flights(proxy: Proxy) -> None:
    """StoreBroker prints `code : message`; the raw body only if Content-Length is positive."""
    app_id = seed_app(proxy.store, proxy.tenant_id)
    sb = proxy.storebroker()
    body = error_reply(sb.invoke("GET", f"applications/{app_id}/listflights/?top=100&skip=0"), 404,
                       "ResourceNotFound")
    assert "flight" in body["message"].lower()


def test_bearer_proxy_without_the_opt_in_is_401_with_a_json_body_and_no_windows_challenge(
    tenant: Tenant, app_id: str
) -> None:
    sb = StoreBroker(tenant.server.url, tenant.tenant_id)
    replies = [
        sb.invoke("GET", f"applications/{app_id}/listflights/?top=100&skip=0"),
        sb.invoke("POST", f"applications/{app_id}/flights/", {"friendlyName": "x", "groupIds": ["1"]}),
        sb.invoke("GET", f"applications/{app_id}"),
    ]
    for reply in replies:
        error_reply(reply, 401)
        challenge = reply.headers.get("www-authenticate", "").lower()
        assert "negotiate" not in challenge, reply
        assert "ntlm" not in challenge, reply
    tenant.http.get(f"applications/{app_id}").raise_for_status()  # a real token still works
