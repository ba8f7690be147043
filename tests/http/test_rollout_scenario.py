"""Issue 4's scenario end to end: non-flighted 1.0.0.0; a flight rolled out to 25%, raised to 60%, halted,
replaced by a new submission, finalized. At each step the answers for 10,000 customers match the rules.

Run twice: with the corpus's real 1.0.0.0 packages (TestAppxPackage x64 and x86) as the non-flighted line
and packages built with their identity for the flight's higher versions (the corpus has no higher version
of any identity), and with built packages only (which runs where ../shared is absent)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from storeflight.delivery.bucket import bucket, threshold
from storeflight.delivery.decide import decide
from storeflight.delivery.model import Device
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.services.context import Caller, Context, load_app
from tests.corpus import EXPECTED, corpus_dir
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import IDENTITY, drain, submit, zip_of
from tests.support import Tenant

MEMBERS = [f"member{i}@example.com" for i in range(10_000)]
OUTSIDERS = [f"outsider{i}" for i in range(200)]


CORPUS_BASE = ("TestAppxPackage_x64.appx", "TestAppxPackage_Win32.appx")


def _line(source: str) -> tuple[Identity, dict[str, bytes]]:
    """The app's identity and its non-flighted 1.0.0.0 packages."""
    if source == "built":
        identity = Identity(name=IDENTITY.name, publisher=IDENTITY.publisher, version="1.0.0.0")
        return identity, {"app_1.0.0.0.msix": package_bytes(identity=identity)}
    folder = corpus_dir() / "valid"
    facts = EXPECTED["valid"][CORPUS_BASE[0]]
    identity = Identity(name=facts["identityName"], publisher=facts["publisher"], version="1.0.0.0")
    assert all(EXPECTED["valid"][name]["version"] == "1.0.0.0" for name in CORPUS_BASE)
    return identity, {name: (folder / name).read_bytes() for name in CORPUS_BASE}


def _publish(
    tenant: Tenant, worker: Worker, base: str, files: dict[str, bytes], percentage: float | None
) -> str:
    fields: dict[str, Any] = {}
    if percentage is not None:
        fields["packageDeliveryOptions"] = {
            "packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": percentage}
        }
    entries = [{"fileName": name, "fileStatus": "PendingUpload"} for name in files]
    sid = submit(tenant, base, entries, zip_of(files), **fields)
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()
    assert status["status"] == "Published", status
    return sid


def _built(identity: Identity, version: str) -> dict[str, bytes]:
    newer = Identity(name=identity.name, publisher=identity.publisher, version=version)
    return {f"app_{version}.msix": package_bytes(identity=newer)}


def _answers(
    tenant: Tenant, app_id: str, customers: list[str], installed: Callable[[str], str | None]
) -> dict[str, str]:
    """What the server's delivery snapshot decides for each customer (the HTTP endpoint's code path)."""
    state = tenant.server.state
    state.delivery.refresh()  # what a delivery request starts in the background once the re-check is due
    ctx = Context(caller=Caller(tenant.tenant_id, tenant.client_id))
    with state.store.transaction(write=False) as tx:
        snapshot = state.delivery.get(tx, tenant.tenant_id, app_id, lambda: load_app(tx, ctx, app_id))
    result = {}
    for customer in customers:
        device = Device(customer, "Windows.Desktop", "10.0.19045.0", "x64", installed(customer))
        decision = decide(snapshot.app, device, snapshot.groups(customer))
        result[customer] = decision.packages[0].version if decision.packages else "-"
    return result


def _http_agrees(tenant: Tenant, app_id: str, expected: dict[str, str]) -> None:
    for customer in list(expected)[:: len(expected) // 100 or 1]:
        body = tenant.http.get(
            f"applications/{app_id}/delivery",
            params={
                "customerId": customer,
                "deviceFamily": "Windows.Desktop",
                "osVersion": "10.0.19045.0",
                "architecture": "x64",
            },
        ).json()
        assert (body["packages"][0]["version"] if body["packages"] else "-") == expected[customer], customer


def _outsiders_get(tenant: Tenant, app_id: str, files: dict[str, bytes]) -> None:
    """Customers in no group get the non-flighted packages, byte for byte (size and SHA-256)."""
    device = {"deviceFamily": "Windows.Desktop", "osVersion": "10.0.19045.0", "architecture": "x64"}
    body = tenant.http.get(f"applications/{app_id}/delivery", params={"customerId": OUTSIDERS[0], **device}).json()
    delivered = {p["fileName"]: (p["size"], p["sha256"]) for p in body["packages"]}
    assert delivered and set(delivered) <= set(files)
    for name, (size, digest) in delivered.items():
        assert (size, digest) == (len(files[name]), hashlib.sha256(files[name]).hexdigest())


@pytest.mark.parametrize("source", ["corpus", "built"])
def test_the_rollout_scenario(tenant: Tenant, source: str) -> None:
    identity, base_files = _line(source)
    worker = Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())
    app_id = tenant.create_app(identity=identity.name, publisher=identity.publisher)
    baseline = _publish(tenant, worker, f"applications/{app_id}/submissions", base_files, None)
    group = tenant.http.post("flightgroups", json={"name": "insiders", "members": MEMBERS})
    assert group.status_code == 201, group.text
    flight = tenant.create_flight(app_id, groups=[group.json()["id"]])
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions"
    tenant.http.delete(f"{base}/{flight['pendingFlightSubmission']['id']}")
    first = _publish(tenant, worker, base, _built(identity, "2.0.0.0"), 25.0)
    everyone = MEMBERS + OUTSIDERS
    none: Callable[[str], str | None] = lambda _: None  # noqa: E731

    def inside(percentage: float, seed: str) -> set[str]:
        return {m for m in MEMBERS if bucket(m, seed) < threshold(percentage)}

    at25 = inside(25.0, first)
    expected = {c: "2.0.0.0" if c in at25 else "1.0.0.0" for c in everyone}
    assert _answers(tenant, app_id, everyone, none) == expected
    assert abs(len(at25) / len(MEMBERS) - 0.25) < 0.02
    _http_agrees(tenant, app_id, expected)
    _outsiders_get(tenant, app_id, base_files)

    assert tenant.http.post(f"{base}/{first}/updatepackagerolloutpercentage?percentage=60").status_code == 200
    at60 = inside(60.0, first)
    assert at25 <= at60
    expected = {c: "2.0.0.0" if c in at60 else "1.0.0.0" for c in everyone}
    assert _answers(tenant, app_id, everyone, none) == expected

    assert (
        tenant.http.post(f"{base}/{first}/haltpackagerollout").json()["packageRolloutStatus"] == "PackageRolloutStopped"
    )
    holders: Callable[[str], str | None] = lambda c: "2.0.0.0" if c in at60 else None  # noqa: E731
    expected = {c: "-" if c in at60 else "1.0.0.0" for c in everyone}  # no downgrade for who has 2.0
    assert _answers(tenant, app_id, everyone, holders) == expected

    second = _publish(tenant, worker, base, _built(identity, "3.0.0.0"), 60.0)
    rollout = tenant.http.get(f"{base}/{second}/packagerollout").json()
    # Nobody new gets the halted submission: outsiders get what it fell back to, and the field says so.
    assert rollout["fallbackSubmissionId"] == baseline != first
    expected = {c: "3.0.0.0" if c in at60 else "1.0.0.0" for c in everyone}  # same order as the halted one
    assert _answers(tenant, app_id, everyone, none) == expected
    _http_agrees(tenant, app_id, expected)

    assert tenant.http.post(f"{base}/{second}/finalizepackagerollout").status_code == 200
    expected = {c: "3.0.0.0" if c in MEMBERS else "1.0.0.0" for c in everyone}
    assert _answers(tenant, app_id, everyone, none) == expected
