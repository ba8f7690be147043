"""The delivery API over real HTTP, on packages that went through the real pipeline."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import pytest

from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.corpus import EXPECTED, corpus_dir
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import IDENTITY, drain, submit, zip_of
from tests.support import Tenant

DEVICE = {"deviceFamily": "Windows.Desktop", "osVersion": "10.0.19045.0", "architecture": "x64"}


@pytest.fixture
def worker(tenant: Tenant) -> Worker:
    return Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())


@pytest.fixture
def app(tenant: Tenant, worker: Worker) -> str:
    """An app whose non-flighted line has published version 1.2.3.0."""
    app_id = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    submit(
        tenant,
        f"applications/{app_id}/submissions",
        [{"fileName": "a.msix", "fileStatus": "PendingUpload"}],
        zip_of({"a.msix": package_bytes(identity=IDENTITY)}),
    )
    drain(worker)
    return app_id


def ask(tenant: Tenant, app: str, customer: str, **extra: Any) -> dict[str, Any]:
    response = tenant.http.get(f"applications/{app}/delivery", params={"customerId": customer, **DEVICE, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def flight_rollout(tenant: Tenant, app: str, worker: Worker, members: list[str], percentage: float) -> str:
    flight = tenant.create_flight(app, groups=[tenant.create_group(members)])
    base = f"applications/{app}/flights/{flight['flightId']}/submissions"
    tenant.http.delete(f"{base}/{flight['pendingFlightSubmission']['id']}")
    package = package_bytes(identity=Identity(version="2.0.0.0"))
    rollout = {"packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": percentage}}
    sid = submit(
        tenant,
        base,
        [{"fileName": "f.msix", "fileStatus": "PendingUpload"}],
        zip_of({"f.msix": package}),
        packageDeliveryOptions=rollout,
    )
    drain(worker)
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Published"
    return f"{base}/{sid}"


def test_a_customer_in_no_flight_gets_the_non_flighted_package(tenant: Tenant, app: str) -> None:
    body = ask(tenant, app, "nobody@example.com")
    assert body["source"] == "non-flighted"
    (package,) = body["packages"]
    assert package["version"] == "1.2.3.0"
    download = httpx.get(package["downloadUrl"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == package["sha256"]
    assert httpx.put(package["downloadUrl"], content=b"x", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403


def test_flight_members_follow_the_rollout_and_its_percentage(tenant: Tenant, app: str, worker: Worker) -> None:
    members = [f"user{i}@example.com" for i in range(40)]
    url = flight_rollout(tenant, app, worker, members, 50.0)
    answers = [ask(tenant, app, m, explain="true") for m in members]
    for body in answers:
        e = body["explanation"]
        assert body["source"] == "flight" and e["inRollout"] == (e["bucket"] < e["threshold"])
        assert body["packages"][0]["version"] == ("2.0.0.0" if e["inRollout"] else "1.2.3.0")
    assert {b["explanation"]["inRollout"] for b in answers} == {True, False}
    assert tenant.http.post(f"{url}/updatepackagerolloutpercentage?percentage=100").status_code == 200
    deadline = time.monotonic() + 10  # propagation time is a benchmark figure, not asserted here
    outside = next(m for m, b in zip(members, answers, strict=True) if not b["explanation"]["inRollout"])
    while time.monotonic() < deadline and ask(tenant, app, outside)["packages"][0]["version"] != "2.0.0.0":
        time.sleep(0.05)
    assert all(ask(tenant, app, m)["packages"][0]["version"] == "2.0.0.0" for m in members)
    assert ask(tenant, app, "outsider@example.com")["packages"][0]["version"] == "1.2.3.0"


def test_bad_delivery_requests_get_clear_errors(tenant: Tenant, app: str) -> None:
    assert tenant.http.get(f"applications/{app}/delivery", params=DEVICE).status_code == 400
    bad = tenant.http.get(f"applications/{app}/delivery", params={"customerId": "a", **DEVICE, "osVersion": "ten"})
    assert bad.status_code == 400 and bad.json()["target"] == "osVersion"
    assert tenant.http.get("applications/9NOSUCHAPP00/delivery", params={"customerId": "a"}).status_code == 404


def test_a_bundle_whose_only_payload_is_x86_is_never_offered_to_an_arm_device(tenant: Tenant, worker: Worker) -> None:
    name = "BundleWithIntlPackage.appxbundle"
    facts = EXPECTED["valid"].get(name) or {}
    bundle = (corpus_dir() / "valid" / name).read_bytes()
    app_id = tenant.create_app(identity=facts["identityName"], publisher=facts["publisher"])
    base = f"applications/{app_id}/submissions"
    sid = submit(tenant, base, [{"fileName": name, "fileStatus": "PendingUpload"}], zip_of({name: bundle}))
    drain(worker)
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Published"
    device = {"customerId": "someone@example.com", "deviceFamily": "Windows.Desktop", "osVersion": "10.0.22621.0"}
    offered = {}
    for arch in ("x86", "x64", "arm64", "arm"):
        body = tenant.http.get(f"applications/{app_id}/delivery", params={**device, "architecture": arch}).json()
        offered[arch] = [p["fileName"] for p in body["packages"]]
    assert offered["x86"] == offered["x64"] == offered["arm64"] == [name]  # x64 and arm64 run x86 packages
    assert offered["arm"] == []  # the bundle's own "neutral" does not make its x86 payload runnable on arm
