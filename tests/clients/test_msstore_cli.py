"""msstore-cli (C#, .NET) replayed request by request: clients.md section (a.2), with (d) and (e).

Absolute paths under `/v1.0/my/`; `Authorization: Bearer`, `TenantId` and one `ms-correlationid` (the
telemetry session id) on every call, no User-Agent; request bodies are System.Text.Json with a PascalCase
naming policy and nulls kept (`Content-Type: application/json; charset=utf-8`, only when a body is sent).
Flight submissions commit with lower-case `/commit`, app submissions with `/Commit`. Rollout commands and
the blob upload are left out here (later issues).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from tests.clients.replay import (
    Reply,
    Trace,
    application_shape,
    bare_httpx,
    deleted_reply,
    error_reply,
    future_upload_url,
    json_reply,
    publish_flight_submission,
    seed_app_baseline,
    status_details,
    submission_shape,
    upload_expiry,
    uploaded_package,
)
from tests.support import Tenant

CONTENT_TYPE = "application/json; charset=utf-8"
_NO_BODY = object()


def net_date(value: str) -> str:
    """A UTC DateTime read from a response and written back by System.Text.Json (trailing zeros trimmed)."""
    match = re.fullmatch(r"(.+T\d\d:\d\d:\d\d)(\.\d+)?Z", value)
    assert match, value
    fraction = (match.group(2) or "").rstrip("0")
    return match.group(1) + ("" if fraction == "." else fraction) + "Z"


def ci(mapping: dict[str, Any], key: str) -> Any:
    """msstore-cli reads response properties case-insensitively."""
    return next(v for k, v in mapping.items() if k.lower() == key.lower())


@dataclass
class MsStoreCli:
    """StorePackagedAPI: the typed HTTP calls, and the `publish --flightId` decisions around them."""

    base_url: str
    token: str
    tenant_id: str
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace: Trace = field(default_factory=Trace)

    def __post_init__(self) -> None:
        self.http = bare_httpx({
            "Authorization": f"Bearer {self.token}", "TenantId": self.tenant_id,
            "ms-correlationid": self.session_id,
        })

    def send(self, method: str, path: str, body: Any = _NO_BODY) -> Reply:
        headers: dict[str, str] = {}
        content: bytes | None = None
        if body is not _NO_BODY:
            headers["Content-Type"] = CONTENT_TYPE
            content = json.dumps(body, separators=(",", ":")).encode()
        url = f"{self.base_url}/v1.0/my/{path}"
        response = self.http.request(method, url, headers=headers, content=content)
        assert "user-agent" not in response.request.headers
        reply = Reply.of_httpx(response)
        self.trace.record(reply)
        return reply

    # --- StorePackagedAPI -----------------------------------------------------------------------------------

    def get_app(self, app_id: str) -> Any:
        body = json_reply(self.send("GET", f"applications/{app_id}"), 200)
        application_shape(body, app_id)
        return body

    def list_apps(self) -> Any:
        return json_reply(self.send("GET", "applications?skip=0&top=100"), 200)["value"]

    def list_flights(self, app_id: str) -> Any:
        return json_reply(self.send("GET", f"applications/{app_id}/listflights?skip=0&top=100"), 200)["value"]

    def get_flight(self, app_id: str, flight_id: str) -> Any:
        return json_reply(self.send("GET", f"applications/{app_id}/flights/{flight_id}"), 200)

    def create_flight(self, app_id: str, name: str, group_ids: list[str]) -> Any:
        body = {
            "FlightId": None, "FriendlyName": name, "LastPublishedFlightSubmission": None,
            "PendingFlightSubmission": None, "GroupIds": group_ids, "RankHigherThan": None,
        }
        return json_reply(self.send("POST", f"applications/{app_id}/flights", body), 201)

    def get_submission(self, app_id: str, flight_id: str, submission_id: str) -> Any:
        body = json_reply(self.send("GET", submission_path(app_id, flight_id, submission_id)), 200)
        submission_shape(body, flight_id=flight_id)
        return body

    def create_submission(self, app_id: str, flight_id: str) -> Any:
        body = json_reply(self.send("POST", f"applications/{app_id}/flights/{flight_id}/submissions"), 201)
        assert body["id"] and future_upload_url(body["fileUploadUrl"])  # aborts on a null id or upload URL
        return body

    def update_submission(self, app_id: str, flight_id: str, submission_id: str,
                          update: dict[str, Any]) -> Any:
        body = json_reply(self.send("PUT", submission_path(app_id, flight_id, submission_id), update), 200)
        submission_shape(body, flight_id=flight_id)
        return body

    def delete_submission(self, app_id: str, flight_id: str, submission_id: str) -> Reply:
        """The raw body comes back before any status check: empty means "Existing submission deleted!"."""
        return self.send("DELETE", submission_path(app_id, flight_id, submission_id))

    def commit(self, app_id: str, flight_id: str, submission_id: str) -> Reply:
        """Parsed as DevCenterError plus `status`; an empty or non-JSON body would crash the CLI."""
        return self.send("POST", submission_path(app_id, flight_id, submission_id) + "/commit")

    def status(self, app_id: str, flight_id: str, submission_id: str) -> Any:
        reply = self.send("GET", submission_path(app_id, flight_id, submission_id) + "/status")
        body = json_reply(reply, 200)
        status_details(ci(body, "statusDetails"))
        return body

    # --- `msstore publish --flightId` -----------------------------------------------------------------------

    def publish_flight(self, app_id: str, flight_id: str, files: list[str],
                       rollout_percentage: float | None = None) -> tuple[Any, Any]:
        """The whole `publish --flightId` sequence; returns the PUT response and the first status poll."""
        self.get_app(app_id)
        flight = self.get_flight(app_id, flight_id)
        pending = flight.get("pendingFlightSubmission")
        submission = None
        if pending and flight.get("lastPublishedFlightSubmission") is not None:
            deleted_reply(self.delete_submission(app_id, flight_id, pending["id"]))
        elif pending:
            existing = self.get_submission(app_id, flight_id, pending["id"])
            assert existing["fileUploadUrl"] is not None, "created in Partner Center: the CLI stops here"
            expired = upload_expiry(existing["fileUploadUrl"]) < datetime.now(UTC)
            if expired or existing["status"] == "CommitFailed":
                deleted_reply(self.delete_submission(app_id, flight_id, existing["id"]))
            else:
                submission = existing
        if submission is None:
            submission = self.create_submission(app_id, flight_id)
        submission = self.get_submission(app_id, flight_id, submission["id"])
        update = flight_update(submission, files, rollout_percentage)
        updated = self.update_submission(app_id, flight_id, submission["id"], update)
        future_upload_url(updated["fileUploadUrl"])  # the zip goes there
        committed = json_reply(self.commit(app_id, flight_id, submission["id"]), (200, 202))
        assert committed["status"] == "CommitStarted"
        polled = self.status(app_id, flight_id, submission["id"])
        self.get_submission(app_id, flight_id, submission["id"])  # prints the package names
        return updated, polled


def submission_path(app_id: str, flight_id: str, submission_id: str) -> str:
    return f"applications/{app_id}/flights/{flight_id}/submissions/{submission_id}"


def flight_update(submission: dict[str, Any], files: list[str],
                  rollout_percentage: float | None) -> dict[str, Any]:
    """DevCenterFlightSubmissionUpdate, PascalCase with nulls, rebuilt the way the CLI rebuilds packages."""
    packages = [
        {"Id": p["id"], "FileName": p["fileName"], "FileStatus": p["fileStatus"],
         "MinimumDirectXVersion": p["minimumDirectXVersion"], "MinimumSystemRam": p["minimumSystemRam"]}
        for p in submission["flightPackages"]
    ]
    existing = list(packages)
    for name in files:
        suffix = PurePosixPath(name).suffix
        same = next((p for p in existing if PurePosixPath(p["FileName"]).suffix == suffix), None)
        if same is not None and same["FileStatus"] == "PendingUpload":
            packages.remove(same)
        elif same is not None:
            same["FileStatus"] = "PendingDelete"
        packages.append({"Id": None, "FileName": name, "FileStatus": "PendingUpload",
                         "MinimumDirectXVersion": None, "MinimumSystemRam": None})
    options = submission["packageDeliveryOptions"]
    rollout = options["packageRollout"]
    if rollout_percentage is not None and rollout is not None:
        rollout = {**rollout, "isPackageRollout": True, "packageRolloutPercentage": rollout_percentage}
    return {
        "FlightPackages": packages,
        "PackageDeliveryOptions": {
            "PackageRollout": {
                "IsPackageRollout": rollout["isPackageRollout"],
                "PackageRolloutPercentage": rollout["packageRolloutPercentage"],
                "PackageRolloutStatus": rollout["packageRolloutStatus"],
                "FallbackSubmissionId": rollout["fallbackSubmissionId"],
            },
            "IsMandatoryUpdate": options["isMandatoryUpdate"],
            "MandatoryUpdateEffectiveDate": net_date(options["mandatoryUpdateEffectiveDate"]),
        },
        "TargetPublishMode": submission["targetPublishMode"],
        "TargetPublishDate": None,
        "NotesForCertification": submission["notesForCertification"],
    }


def cli_for(tenant: Tenant) -> MsStoreCli:
    return MsStoreCli(tenant.server.url, tenant.token, tenant.tenant_id)


def test_msstore_flights_create_list_get_then_publish_reuses_the_fresh_pending_submission(
    tenant: Tenant, app_id: str
) -> None:
    cli = cli_for(tenant)
    group = tenant.create_group()

    cli.get_app(app_id)  # every flight command starts with GET app
    created = cli.create_flight(app_id, "Insiders", [group])
    f = created["flightId"]
    pending = created["pendingFlightSubmission"]["id"]
    assert created["friendlyName"] == "Insiders"
    assert created["groupIds"] == [group]
    assert "lastPublishedFlightSubmission" not in created
    cli.get_app(app_id)
    assert [x["flightId"] for x in cli.list_flights(app_id)] == [f]
    cli.get_app(app_id)
    assert cli.get_flight(app_id, f)["pendingFlightSubmission"]["id"] == pending

    fresh = cli.get_submission(app_id, f, pending)
    assert upload_expiry(fresh["fileUploadUrl"]) > datetime.now(UTC)  # `se=` parses, in the future
    cli.trace.reset()

    updated, polled = cli.publish_flight(app_id, f, ["Insiders_1.0.0.0_x64.msix"])
    assert [(p["fileName"], p["fileStatus"], p["minimumDirectXVersion"], p["minimumSystemRam"])
            for p in updated["flightPackages"]] == [
        ("Insiders_1.0.0.0_x64.msix", "PendingUpload", "None", "None")
    ]
    assert updated["targetPublishDate"] == "1601-01-01T00:00:00.0000000Z"
    assert updated["packageDeliveryOptions"]["packageRollout"]["isPackageRollout"] is False
    assert polled["status"] == "CommitStarted"
    assert polled["statusDetails"] == {"errors": [], "warnings": [], "certificationReports": []}

    root = f"/v1.0/my/applications/{app_id}"
    sub = f"{root}/flights/{f}/submissions/{pending}"
    assert cli.trace.calls == [
        f"GET {root}", f"GET {root}/flights/{f}", f"GET {sub}", f"GET {sub}", f"PUT {sub}",
        f"POST {sub}/commit", f"GET {sub}/status", f"GET {sub}",
    ]
    assert cli.trace.fresh_correlation_ids()


def test_msstore_publish_on_a_published_flight_deletes_the_pending_one_and_creates_a_clone(
    tenant: Tenant, app_id: str
) -> None:
    cli = cli_for(tenant)
    flight = tenant.create_flight(app_id, "Beta")
    f = flight["flightId"]
    first = flight["pendingFlightSubmission"]["id"]
    publish_flight_submission(tenant.http, f"applications/{app_id}/flights/{f}/submissions/{first}",
                              tenant.server.store, tenant.tenant_id,
                              ["App_1.0_x64.msix", "App_1.0_arm64.msix", "App_1.0.appxbundle"])
    leftover = tenant.http.post(f"applications/{app_id}/flights/{f}/submissions").json()["id"]
    cli.trace.reset()

    updated, polled = cli.publish_flight(app_id, f, ["App_2.0_x64.msix"], rollout_percentage=10)
    assert [(p["fileName"], p["fileStatus"]) for p in updated["flightPackages"]] == [
        ("App_1.0_x64.msix", "PendingDelete"),
        ("App_1.0_arm64.msix", "Uploaded"),
        ("App_1.0.appxbundle", "Uploaded"),
        ("App_2.0_x64.msix", "PendingUpload"),
    ]
    assert all(p["id"] for p in updated["flightPackages"][:3])
    rollout = updated["packageDeliveryOptions"]["packageRollout"]
    assert rollout["isPackageRollout"] is True
    assert rollout["packageRolloutPercentage"] == 10.0
    assert polled["status"] == "CommitStarted"

    root = f"/v1.0/my/applications/{app_id}"
    new = updated["id"]
    assert new not in (first, leftover)
    assert cli.trace.calls == [
        f"GET {root}", f"GET {root}/flights/{f}", f"DELETE {root}/flights/{f}/submissions/{leftover}",
        f"POST {root}/flights/{f}/submissions", f"GET {root}/flights/{f}/submissions/{new}",
        f"PUT {root}/flights/{f}/submissions/{new}", f"POST {root}/flights/{f}/submissions/{new}/commit",
        f"GET {root}/flights/{f}/submissions/{new}/status", f"GET {root}/flights/{f}/submissions/{new}",
    ]
    assert cli.get_flight(app_id, f)["pendingFlightSubmission"]["id"] == new


def test_msstore_gets_error_bodies_it_can_parse_for_failed_commit_delete_and_update(
    tenant: Tenant, app_id: str
) -> None:
    cli = cli_for(tenant)
    flight = cli.create_flight(app_id, "Errors", [tenant.create_group()])
    f, s = flight["flightId"], flight["pendingFlightSubmission"]["id"]
    assert json_reply(cli.commit(app_id, f, s), (200, 202))["status"] == "CommitStarted"

    again = error_reply(cli.commit(app_id, f, s), 409, "InvalidState")
    assert again.get("status") is None  # the CLI prints code/message/source/target/data/details, exits -2
    # An empty body on a failed DELETE would read as "Existing submission deleted!".
    error_reply(cli.delete_submission(app_id, f, s), 409, "InvalidState")
    error_reply(cli.delete_submission(app_id, f, "1152921504606846977"), 404, "ResourceNotFound")
    update = {"FlightPackages": [], "TargetPublishMode": "Immediate", "TargetPublishDate": None}
    error_reply(cli.send("PUT", submission_path(app_id, f, s), update), 409, "InvalidState")
    error_reply(cli.send("GET", f"applications/{app_id}/flights/{uuid.uuid4()}"), 404, "ResourceNotFound")
    nameless = {"FlightId": None, "FriendlyName": None, "GroupIds": None, "RankHigherThan": None}
    error_reply(cli.send("POST", f"applications/{app_id}/flights", nameless), 400, "InvalidParameterValue")


def test_msstore_app_submission_is_created_updated_in_pascal_case_and_committed_with_capital_commit(
    tenant: Tenant, app_id: str
) -> None:
    store = tenant.server.store
    seed_app_baseline(store, tenant.tenant_id, app_id, [uploaded_package("App_1.0_x64.msix", "1.0.0.0")],
                      {"applicationCategory": "Productivity", "pricing": {"trialPeriod": "NoFreeTrial"}})
    cli = cli_for(tenant)
    assert app_id in [a["id"] for a in cli.list_apps()]  # `msstore init`: skip=0&top=100, no paging
    app = cli.get_app(app_id)
    assert "pendingApplicationSubmission" not in app
    assert app["lastPublishedApplicationSubmission"]["id"].isdigit()

    created = json_reply(cli.send("POST", f"applications/{app_id}/submissions"), 201)
    s = created["id"]
    future_upload_url(created["fileUploadUrl"])
    got = json_reply(cli.send("GET", f"applications/{app_id}/submissions/{s}"), 200)
    submission_shape(got, flight_id=None, packages_key="applicationPackages")
    assert got["applicationCategory"] == "Productivity"

    update = {
        "Id": s, "Status": got["status"], "FileUploadUrl": got["fileUploadUrl"],
        "ApplicationCategory": "DeveloperTools", "Pricing": {"TrialPeriod": "OneDay"},
        "Listings": {"en-us": {"BaseListing": {"Title": "Contoso", "Description": "An app."}}},
        "AllowTargetFutureDeviceFamilies": {"Desktop": True, "Mobile": False, "Holographic": True,
                                            "Xbox": False},
        "ApplicationPackages": [
            {"Id": got["applicationPackages"][0]["id"], "FileName": "App_1.0_x64.msix",
             "FileStatus": "PendingDelete", "MinimumDirectXVersion": "None", "MinimumSystemRam": "None"},
            {"Id": None, "FileName": "App_2.0_x64.msix", "FileStatus": "PendingUpload",
             "MinimumDirectXVersion": None, "MinimumSystemRam": None},
        ],
        "TargetPublishMode": "Immediate", "TargetPublishDate": None, "NotesForCertification": None,
    }
    updated = json_reply(cli.send("PUT", f"applications/{app_id}/submissions/{s}", update), 200)
    assert [(p["fileName"], p["fileStatus"]) for p in updated["applicationPackages"]] == [
        ("App_1.0_x64.msix", "PendingDelete"), ("App_2.0_x64.msix", "PendingUpload"),
    ]
    assert ci(updated, "applicationCategory") == "DeveloperTools"
    assert ci(ci(updated, "pricing"), "trialPeriod") == "OneDay"
    assert ci(ci(ci(ci(updated, "listings"), "en-us"), "baseListing"), "title") == "Contoso"

    committed = json_reply(cli.send("POST", f"applications/{app_id}/submissions/{s}/Commit"), (200, 202))
    assert committed["status"] == "CommitStarted"
    polled = json_reply(cli.send("GET", f"applications/{app_id}/submissions/{s}/status"), 200)
    assert polled["status"] == "CommitStarted"
    status_details(polled["statusDetails"])
    assert cli.get_app(app_id)["pendingApplicationSubmission"]["id"] == s
