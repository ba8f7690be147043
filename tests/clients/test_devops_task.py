"""Azure DevOps "Windows Store - Flight" task V1 (TypeScript, axios) replayed: clients.md section (a.3), (d).

ROOT is the service connection URL + `/v1.0/my/`; every request carries `Authorization: Bearer`, a new
`CorrelationId` uuid, axios' `Accept: application/json, text/plain, */*` and User-Agent, and POST/PUT carry
`Content-Type: application/json` even without a body. It finds the app by `primaryName` walking `applications`
and `ROOT + @nextLink`, the flight by `friendlyName` walking `listflights` (no top/skip), deletes the pending
submission at `applications/{app}/` + `resourceLocation`, PUTs the create response back whole, commits and
polls `.../status`. The zip upload is left out (the upload endpoint is a later issue).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.clients.replay import (
    Reply,
    Trace,
    bare_httpx,
    deleted_reply,
    error_reply,
    future_upload_url,
    json_reply,
    publish_flight_submission,
    seed_app,
    status_details,
    submission_shape,
)
from tests.support import Tenant

AXIOS_HEADERS = {"Accept": "application/json, text/plain, */*", "User-Agent": "axios/1.7.9"}
EPOCH = "1970-01-01T00:00:00.000Z"  # new Date(0).toISOString()


@dataclass
class DevOpsTask:
    """requestHelper.performAuthenticatedRequest plus the apiHelper/flight.ts steps."""

    service_url: str
    token: str
    trace: Trace = field(default_factory=Trace)

    def __post_init__(self) -> None:
        self.root = self.service_url.rstrip("/") + "/v1.0/my/"
        self.http = bare_httpx(AXIOS_HEADERS)

    def request(self, method: str, url: str, data: Any = None) -> Reply:
        correlation = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {self.token}", "CorrelationId": correlation}
        content = None
        if method in ("POST", "PUT"):
            headers["Content-Type"] = "application/json"
            content = json.dumps(data).encode() if data is not None else b""
        response = self.http.request(method, url, headers=headers, content=content)
        assert response.request.headers["correlationid"] == correlation
        reply = Reply.of_httpx(response)
        self.trace.record(reply)
        return reply

    def get(self, url: str) -> Any:
        return json_reply(self.request("GET", url), 200)

    def app_id_by_name(self, name: str) -> str:
        """apiHelper.getAppIdByName: `applications`, then `ROOT + @nextLink` until a primaryName matches."""
        page_url = self.root + "applications"
        while True:
            body = self.get(page_url)
            found = next((a for a in body["value"] if a["primaryName"] == name), None)
            if found is not None:
                return str(found["id"])
            assert "@nextLink" in body, f"No application with name {name!r} was found"
            page_url = self.root + body["@nextLink"]

    def flight_by_name(self, app_id: str, name: str) -> Any:
        """flight.ts getFlightResource: `listflights` with no top/skip, then `ROOT + @nextLink`."""
        page_url = self.root + f"applications/{app_id}/listflights"
        while True:
            body = self.get(page_url)
            found = next((f for f in body["value"] if f["friendlyName"] == name), None)
            if found is not None:
                return found
            assert "@nextLink" in body, f"No flight with name {name!r} was found"
            page_url = self.root + body["@nextLink"]


def delete_old_packages(packages: list[dict[str, Any]], keep: int) -> None:
    """apiHelper.deleteOldPackages: per device family keep the `keep` highest versions, mark the rest."""
    versions: dict[str, list[str]] = defaultdict(list)
    for package in packages:
        platform = f"{package.get('targetPlatform')}_{package['architecture']}"
        families = package.get("targetDeviceFamilies") or [platform]
        for family in families:
            versions[family].append(package["version"])
    kept = {v for vs in versions.values()
            for v in sorted(vs, key=lambda v: [int(x) for x in v.split(".")], reverse=True)[:keep]}
    for package in packages:
        if package["version"] not in kept:
            package["fileStatus"] = "PendingDelete"


def prepare_put(resource: dict[str, Any], package_paths: list[str], keep: int | None) -> dict[str, Any]:
    """The create response, echoed back whole, with the task's changes (flight.ts + apiHelper)."""
    resource = copy.deepcopy(resource)
    if keep is not None:
        delete_old_packages(resource["flightPackages"], keep)
    options = resource["packageDeliveryOptions"]
    options["isMandatoryUpdate"] = False
    options["mandatoryUpdateEffectiveDate"] = EPOCH
    options["packageRollout"] = {"isPackageRollout": True, "packageRolloutPercentage": "25"}  # toPrecision()
    resource["flightPackages"] += [
        {"fileName": f"{i}_{path.rsplit('/', 1)[-1]}", "fileStatus": "PendingUpload"}
        for i, path in enumerate(package_paths)
    ]
    return resource


@pytest.fixture
def crowded_tenant(tenant: Tenant) -> tuple[Tenant, str, str]:
    """More than one page of apps (the default page is 10) and of flights; the targets sit on page two."""
    store = tenant.server.store
    for i in range(11):
        seed_app(store, tenant.tenant_id, name=f"Other app {i:02}")
    app_id = seed_app(store, tenant.tenant_id, name="Contoso Notes")
    group = tenant.create_group()
    target = tenant.create_flight(app_id, "Insider Fast", [group])  # created first, so ranked lowest
    for i in range(10):
        tenant.create_flight(app_id, f"Ring {i:02}", [group])
    return tenant, app_id, target["flightId"]


def arrange_published_flight_with_leftover(tenant: Tenant, app_id: str, flight_id: str) -> str:
    """The flight has a published submission (two packages) and a pending one left by an earlier run."""
    flight = tenant.http.get(f"applications/{app_id}/flights/{flight_id}").json()
    first = flight["pendingFlightSubmission"]["id"]
    url = f"applications/{app_id}/flights/{flight_id}/submissions/{first}"
    packages = ["0_Notes_1.0.msixbundle", "1_Notes_1.1.msixbundle"]
    publish_flight_submission(tenant.http, url, tenant.server.store, tenant.tenant_id, packages)
    leftover = tenant.http.post(f"applications/{app_id}/flights/{flight_id}/submissions")
    assert leftover.status_code == 201
    return str(leftover.json()["id"])


def test_devops_flight_task_finds_app_and_flight_across_pages_forces_and_commits(
    crowded_tenant: tuple[Tenant, str, str]
) -> None:
    tenant, expected_app, expected_flight = crowded_tenant
    leftover = arrange_published_flight_with_leftover(tenant, expected_app, expected_flight)
    task = DevOpsTask(tenant.server.url + "/", tenant.token)

    app_id = task.app_id_by_name("Contoso Notes")
    assert app_id == expected_app
    app = task.get(task.root + f"applications/{app_id}")
    assert app["primaryName"] == "Contoso Notes"
    flight = task.flight_by_name(app_id, "Insider Fast")
    f = flight["flightId"]
    assert f == expected_flight
    location = flight["pendingFlightSubmission"]["resourceLocation"]
    assert location == f"flights/{f}/submissions/{leftover}"

    deleted_reply(task.request("DELETE", f"{task.root}applications/{app_id}/{location}"))
    submissions = f"{task.root}applications/{app_id}/flights/{f}/submissions"
    resource = json_reply(task.request("POST", submissions), 201)
    submission_shape(resource, flight_id=f)
    future_upload_url(resource["fileUploadUrl"])
    s = resource["id"]
    assert [p["version"] for p in resource["flightPackages"]] == ["1.0.1.0", "1.0.2.0"]

    put = prepare_put(resource, ["drop/Notes_2.0.msixbundle", "drop/Notes_2.0.appxsym"], keep=1)
    updated = json_reply(task.request("PUT", f"{submissions}/{s}", put), 200)
    assert [(p["fileName"], p["fileStatus"]) for p in updated["flightPackages"]] == [
        ("0_Notes_1.0.msixbundle", "PendingDelete"), ("1_Notes_1.1.msixbundle", "Uploaded"),
        ("0_Notes_2.0.msixbundle", "PendingUpload"), ("1_Notes_2.0.appxsym", "PendingUpload"),
    ]
    options = updated["packageDeliveryOptions"]
    assert options["isMandatoryUpdate"] is False
    assert options["mandatoryUpdateEffectiveDate"] == "1970-01-01T00:00:00.0000000Z"
    assert options["packageRollout"]["isPackageRollout"] is True
    assert options["packageRollout"]["packageRolloutPercentage"] == 25.0

    commit = task.request("POST", f"{submissions}/{s}/commit")
    assert json_reply(commit, (200, 202))["status"] == "CommitStarted"
    polled = task.get(f"{submissions}/{s}/status")
    assert polled["status"] == "CommitStarted"  # neither ...Failed nor Published: the task polls again later
    status_details(polled["statusDetails"])

    root = f"/v1.0/my/applications/{app_id}"
    assert task.trace.calls[:5] == [
        "GET /v1.0/my/applications", "GET /v1.0/my/applications?skip=10&top=10", f"GET {root}",
        f"GET {root}/listflights", f"GET {root}/listflights?skip=10&top=10",
    ]
    assert task.trace.calls[5:] == [
        f"DELETE {root}/flights/{f}/submissions/{leftover}", f"POST {root}/flights/{f}/submissions",
        f"PUT {root}/flights/{f}/submissions/{s}", f"POST {root}/flights/{f}/submissions/{s}/commit",
        f"GET {root}/flights/{f}/submissions/{s}/status",
    ]
    assert task.trace.fresh_correlation_ids()


def test_devops_task_without_force_meets_a_409_json_body_when_a_submission_is_pending(tenant: Tenant,
                                                                                       app_id: str) -> None:
    flight = tenant.create_flight(app_id, "Slow ring")
    task = DevOpsTask(tenant.server.url, tenant.token)
    found = task.flight_by_name(app_id, "Slow ring")
    assert found["pendingFlightSubmission"] == flight["pendingFlightSubmission"]
    reply = task.request("POST", f"{task.root}applications/{app_id}/flights/{found['flightId']}/submissions")
    error_reply(reply, 409, "InvalidState")  # logged as `Status 409: <body as JSON>` with the correlation id


def devops_token(service_url: str, tenant: Tenant) -> dict[str, Any]:
    """requestHelper: the v1 client-credentials form with `resource` = the service connection URL."""
    form = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.secret,
            "resource": service_url}
    http = bare_httpx(AXIOS_HEADERS)
    response = http.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=form)
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    return body


@pytest.mark.parametrize("service_url", ["{server}", "{server}/", "https://manage.devcenter.microsoft.com",
                                         "https://manage.devcenter.microsoft.com/"])
def test_devops_task_token_for_its_service_connection_url_opens_the_api(
    tenant: Tenant, app_id: str, service_url: str
) -> None:
    url = service_url.format(server=tenant.server.url)
    body = devops_token(url, tenant)
    assert int(body["expires_on"]) > int(time.time()) + 60  # refreshed 5 s before this, checked per request
    task = DevOpsTask(tenant.server.url + "/", body["access_token"])
    app = task.get(task.root + f"applications/{app_id}")
    assert app["id"] == app_id


def test_devops_task_token_for_another_resource_is_refused(tenant: Tenant) -> None:
    form = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.secret,
            "resource": "https://graph.microsoft.com/"}
    response = bare_httpx(AXIOS_HEADERS).post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_resource"
    assert "access_token" not in response.json()
