"""Create -> PUT -> upload -> commit -> Published, through real HTTP and a real worker, with built packages."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from storeflight.cli.worker import GARBAGE_GRACE
from storeflight.domain.dates import utcnow
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.services.admin import inject_failure
from tests.ingest.builders import Identity, Payload, package_bytes, write_bundle
from tests.support import Tenant

IDENTITY = Identity()


@pytest.fixture
def worker(tenant: Tenant) -> Iterator[Worker]:
    yield Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())


@pytest.fixture
def app(tenant: Tenant) -> str:
    return tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def upload(url: str, data: bytes) -> None:
    response = requests.put(url.replace("+", "%2B"), data=data, headers={"x-ms-blob-type": "BlockBlob"}, timeout=30)
    assert response.status_code == 201, response.text


def drain(worker: Worker) -> None:
    for _ in range(50):
        if not worker.run_once():
            return
    raise AssertionError("the pipeline did not settle")


def submit(tenant: Tenant, base: str, packages: list[dict[str, Any]], archive: bytes | None, **fields: Any) -> str:
    created = tenant.http.post(base)
    assert created.status_code == 201, created.text
    sub = created.json()
    key = "flightPackages" if "flightId" in sub else "applicationPackages"
    sub[key] = [*sub[key], *packages]
    sub.update(fields)
    put = tenant.http.put(f"{base}/{sub['id']}", json=sub)
    assert put.status_code == 200, put.text
    if archive is not None:
        upload(put.json()["fileUploadUrl"], archive)
    assert tenant.http.post(f"{base}/{sub['id']}/commit").json() == {"status": "CommitStarted"}
    return str(sub["id"])


def submit_package(tenant: Tenant, base: str, **fields: Any) -> str:
    """Submit one new valid package, `a.msix`, of the app's identity."""
    package = [{"fileName": "a.msix", "fileStatus": "PendingUpload"}]
    return submit(tenant, base, package, zip_of({"a.msix": package_bytes(identity=IDENTITY)}), **fields)


def test_an_app_submission_goes_all_the_way_to_published(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    package = package_bytes(identity=IDENTITY)
    sid = submit(
        tenant,
        base,
        [{"fileName": "Hello_1.2.3.0_x64.msix", "fileStatus": "PendingUpload"}],
        zip_of({"Hello_1.2.3.0_x64.msix": package}),
        notesForCertification="Full trust runs the helper.",
    )
    drain(worker)
    body = tenant.http.get(f"{base}/{sid}").json()
    assert body["status"] == "Published", body["statusDetails"]
    (entry,) = body["applicationPackages"]
    assert entry["fileStatus"] == "Uploaded" and entry["id"].isdigit()
    assert (entry["version"], entry["architecture"]) == ("1.2.3.0", "x64")
    assert entry["languages"] == ["en-us", "de-de"]
    assert "runFullTrust" in entry["capabilities"]
    assert entry["targetDeviceFamilies"] == ["Windows.Desktop min version 10.0.17763.0"]
    reports = body["statusDetails"]["certificationReports"]
    assert len(reports) == 1 and reports[0]["reportUrl"].startswith(tenant.server.url)
    app_body = tenant.http.get(f"applications/{app}").json()
    assert app_body["lastPublishedApplicationSubmission"]["id"] == sid
    assert "pendingApplicationSubmission" not in app_body


def test_a_missing_archive_fails_the_commit(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    sid = submit(tenant, base, [{"fileName": "a.msix", "fileStatus": "PendingUpload"}], None)
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()
    assert status["status"] == "CommitFailed"
    assert status["statusDetails"]["errors"][0]["code"] == "InvalidArchive"


def test_a_package_missing_from_the_archive_is_missing_files(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    sid = submit(tenant, base, [{"fileName": "a.msix", "fileStatus": "PendingUpload"}], zip_of({"other.msix": b"x"}))
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()
    assert (status["status"], status["statusDetails"]["errors"][0]["code"]) == ("CommitFailed", "MissingFiles")
    assert "a.msix" in status["statusDetails"]["errors"][0]["details"]


def test_a_package_of_another_identity_fails_preprocessing(tenant: Tenant, worker: Worker) -> None:
    app = tenant.create_app(identity="Someone.Else", publisher=IDENTITY.publisher)
    base = f"applications/{app}/submissions"
    sid = submit_package(tenant, base)
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()
    assert status["status"] == "PreProcessingFailed"
    error = status["statusDetails"]["errors"][0]
    assert error["code"] == "PackageValidationFailed" and "a.msix" in error["details"]


def test_manual_mode_rests_in_release_until_published(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    sid = submit_package(tenant, base, targetPublishMode="Manual")
    drain(worker)
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Release"
    assert tenant.http.post(f"{base}/{sid}/publish").json() == {"status": "Release"}
    drain(worker)
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Published"


def test_the_certification_report_is_served_as_html_and_json(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    sid = submit_package(tenant, base)
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()
    url = status["statusDetails"]["certificationReports"][0]["reportUrl"]
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "runFullTrust" in page.text  # declared without notes: a warning in the report
    report = requests.get(url.replace(".html", ".json"), timeout=10).json()
    assert report["submissionId"] == sid and report["result"] == "PassedWithNotes"
    assert status["statusDetails"]["warnings"][0]["code"] == "PackageValidationWarning"
    assert requests.get(url.replace(url.rsplit("/", 1)[1], "nope.json"), timeout=10).status_code == 404


def test_a_version_not_above_the_published_one_fails(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    first = submit_package(tenant, base)
    drain(worker)
    assert tenant.http.get(f"{base}/{first}/status").json()["status"] == "Published"
    again = submit(
        tenant,
        base,
        [{"fileName": "b.msix", "fileStatus": "PendingUpload"}],
        zip_of({"b.msix": package_bytes(identity=IDENTITY)}),
    )
    drain(worker)
    status = tenant.http.get(f"{base}/{again}/status").json()
    assert status["status"] == "PreProcessingFailed"
    assert "must be higher than 1.2.3.0" in status["statusDetails"]["errors"][0]["details"]


@pytest.mark.parametrize(
    ("stage", "failed"),
    [
        ("CommitStarted", "CommitFailed"),
        ("PreProcessing", "PreProcessingFailed"),
        ("Certification", "CertificationFailed"),
        ("Release", "ReleaseFailed"),
        ("Publishing", "PublishFailed"),
    ],
)
def test_an_injected_failure_hits_the_next_submission_at_its_stage(
    tenant: Tenant, app: str, worker: Worker, stage: str, failed: str
) -> None:
    with tenant.server.store.transaction(write=True) as tx:
        inject_failure(
            tx,
            tenant_id=tenant.tenant_id,
            app_id=app,
            stage=stage,
            code="InvalidParameterValue",
            details="Chosen by the test.",
            now=utcnow(),
        )
    base = f"applications/{app}/submissions"
    sid = submit_package(tenant, base)
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()
    assert status["status"] == failed
    assert status["statusDetails"]["errors"] == [{"code": "InvalidParameterValue", "details": "Chosen by the test."}]
    assert tenant.http.delete(f"{base}/{sid}").status_code == 204  # a failed submission can be deleted
    retry = submit_package(tenant, base)
    drain(worker)
    assert tenant.http.get(f"{base}/{retry}/status").json()["status"] == "Published"  # the fault was used up


def test_specific_date_waits_in_release_for_its_date(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    when = utcnow() + timedelta(hours=1)
    sid = submit_package(
        tenant,
        base,
        targetPublishMode="SpecificDate",
        targetPublishDate=when.isoformat(),
    )
    drain(worker)
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Release"
    assert not worker.run_once(now=when - timedelta(seconds=1))
    while worker.run_once(now=when + timedelta(seconds=1)):
        pass
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Published"


def test_publishing_an_immediate_submission_early_is_409(tenant: Tenant, app: str, worker: Worker) -> None:
    base = f"applications/{app}/submissions"
    sid = submit(tenant, base, [], None)
    response = tenant.http.post(f"{base}/{sid}/publish")
    assert response.status_code == 409
    assert response.json()["code"] == "InvalidState"


def _archive_of(tenant: Tenant, submission_id: str) -> str:
    with tenant.server.store.transaction(write=False) as tx:
        found = tx.get_submission(tenant.tenant_id, submission_id)
    assert found is not None
    return found.upload_blob_id


def test_published_and_deleted_submissions_give_their_archives_back(tenant: Tenant, app: str, worker: Worker) -> None:
    base, blobs = f"applications/{app}/submissions", tenant.server.state.blobs
    sid = submit_package(tenant, base)
    drain(worker)
    published = tenant.http.get(f"{base}/{sid}").json()
    assert published["status"] == "Published", published["statusDetails"]
    archive, package = _archive_of(tenant, sid), f"pkg-{published['applicationPackages'][0]['id']}"
    assert blobs.properties(archive) is not None  # deleted by a worker when it is idle, not by the publish
    assert worker.collect_garbage() >= 1
    assert blobs.properties(archive) is None
    assert blobs.properties(package) is not None  # what devices download stays

    pending = tenant.http.post(base).json()
    upload(pending["fileUploadUrl"], zip_of({"a.msix": b"not yet checked"}))
    uploaded = _archive_of(tenant, pending["id"])
    assert blobs.properties(uploaded) is not None
    assert tenant.http.delete(f"{base}/{pending['id']}").status_code == 204
    worker.collect_garbage()
    assert blobs.properties(uploaded) is None
    assert worker.collect_garbage() == 0  # nothing left to do


def test_a_running_worker_deletes_unneeded_archives_when_idle(tenant: Tenant, app: str) -> None:
    worker = Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings(idle_poll=0.05))
    runner = BackgroundWorker(worker).start()
    try:
        base = f"applications/{app}/submissions"
        sid = submit_package(tenant, base)
        runner.wake()
        archive, deadline = _archive_of(tenant, sid), time.monotonic() + 30
        while tenant.server.state.blobs.properties(archive) is not None:
            assert time.monotonic() < deadline, "the archive of the published submission was never deleted"
            time.sleep(0.05)
        assert tenant.http.get(f"{base}/{sid}").json()["status"] == "Published"
    finally:
        runner.stop()


def test_deleting_a_flight_gives_back_the_packages_only_it_used(tenant: Tenant, app: str, worker: Worker) -> None:
    blobs = tenant.server.state.blobs
    app_sid = submit_package(tenant, f"applications/{app}/submissions")
    flight = tenant.create_flight(app)
    base = f"applications/{app}/flights/{flight['flightId']}/submissions"
    assert tenant.http.delete(f"{base}/{flight['pendingFlightSubmission']['id']}").status_code == 204
    flight_sid = submit_package(tenant, base)
    drain(worker)
    app_package = tenant.http.get(f"applications/{app}/submissions/{app_sid}").json()["applicationPackages"][0]
    flight_package = tenant.http.get(f"{base}/{flight_sid}").json()["flightPackages"][0]
    names = {"app": f"pkg-{app_package['id']}", "flight": f"pkg-{flight_package['id']}"}
    assert all(blobs.properties(name) is not None for name in names.values())
    assert tenant.http.delete(f"applications/{app}/flights/{flight['flightId']}").status_code == 204
    worker.collect_garbage()
    assert blobs.properties(names["flight"]) is None
    assert blobs.properties(names["app"]) is not None  # the app's non-flighted package is still delivered


def _status(tenant: Tenant, base: str, sid: str) -> dict[str, Any]:
    body: dict[str, Any] = tenant.http.get(f"{base}/{sid}/status").json()
    return body


def _replace_with(tenant: Tenant, base: str, name: str, data: bytes) -> str:
    """A submission that drops every package it cloned and uploads `name`."""
    response = tenant.http.post(base)
    assert response.status_code == 201, response.text
    created = response.json()
    key = "flightPackages" if "flightId" in created else "applicationPackages"
    for package in created[key]:
        package["fileStatus"] = "PendingDelete"
    created[key].append({"fileName": name, "fileStatus": "PendingUpload"})
    put = tenant.http.put(f"{base}/{created['id']}", json=created)
    assert put.status_code == 200, put.text
    upload(put.json()["fileUploadUrl"], zip_of({name: data}))
    assert tenant.http.post(f"{base}/{created['id']}/commit").status_code == 200
    return str(created["id"])


def _msix(version: str, architecture: str) -> bytes:
    return package_bytes(identity=Identity(version=version, architecture=architecture))


@pytest.mark.parametrize("line", ["app", "flight"])
def test_a_version_the_line_published_two_submissions_ago_is_refused(
    tenant: Tenant, app: str, worker: Worker, line: str
) -> None:
    base = f"applications/{app}/submissions"
    if line == "flight":
        flight = tenant.create_flight(app)
        base = f"applications/{app}/flights/{flight['flightId']}/submissions"
        tenant.http.delete(f"{base}/{flight['pendingFlightSubmission']['id']}")
    steps = [("x64.msix", "1.0.0.0", "x64"), ("arm64.msix", "1.1.0.0", "arm64"), ("x64.msix", "1.0.0.0", "x64")]
    outcomes = []
    for name, version, arch in steps:
        sid = _replace_with(tenant, base, name, _msix(version, arch))
        drain(worker)
        outcomes.append(_status(tenant, base, sid))
    assert [o["status"] for o in outcomes] == ["Published", "Published", "PreProcessingFailed"]
    assert "(x64) must be higher than 1.0.0.0" in outcomes[2]["statusDetails"]["errors"][0]["details"]
    assert tenant.http.delete(f"{base}/{sid}").status_code == 204  # the failed one, so a new one can start
    sid = _replace_with(tenant, base, "x64.msix", _msix("1.0.0.1", "x64"))
    drain(worker)
    assert _status(tenant, base, sid)["status"] == "Published"


def test_a_bundle_counts_for_every_architecture_of_its_payload(
    tenant: Tenant, app: str, worker: Worker, tmp_path: Path
) -> None:
    base = f"applications/{app}/submissions"
    bundle = tmp_path / "App.msixbundle"
    write_bundle(
        bundle,
        [Payload("App_x64.msix", _msix("2.0.0.0", "x64"), version="2.0.0.0"),
         Payload("App_arm64.msix", _msix("2.0.0.0", "arm64"), version="2.0.0.0", architecture="arm64")],
        identity=Identity(version="2.0.0.0"),
    )
    first = _replace_with(tenant, base, "App.msixbundle", bundle.read_bytes())
    drain(worker)
    assert _status(tenant, base, first)["status"] == "Published"
    x86 = _replace_with(tenant, base, "x86.msix", _msix("1.0.0.0", "x86"))  # an architecture it did not cover
    drain(worker)
    assert _status(tenant, base, x86)["status"] == "Published"
    arm = _replace_with(tenant, base, "arm64.msix", _msix("1.5.0.0", "arm64"))
    drain(worker)
    status = _status(tenant, base, arm)
    assert status["status"] == "PreProcessingFailed"
    assert "(arm64) must be higher than 2.0.0.0" in status["statusDetails"]["errors"][0]["details"]


def test_stored_bytes_move_from_the_archive_to_the_kept_package_on_publishing(
    tenant: Tenant, app: str, worker: Worker
) -> None:
    base = f"applications/{app}/submissions"
    package = package_bytes(identity=IDENTITY)
    archive = zip_of({"a.msix": package})
    sid = submit(tenant, base, [{"fileName": "a.msix", "fileStatus": "PendingUpload"}], archive)
    with tenant.server.store.transaction(write=False) as tx:
        assert tx.stored_usage(tenant.tenant_id) == (len(archive), 0)  # the committed upload
    drain(worker)
    body = tenant.http.get(f"{base}/{sid}").json()
    assert body["status"] == "Published", body["statusDetails"]
    with tenant.server.store.transaction(write=False) as tx:
        assert tx.stored_usage(tenant.tenant_id) == (len(package), 1)  # the archive is freed, the package kept


def test_blobs_no_longer_needed_stay_for_the_grace_period(tenant: Tenant, app: str, worker: Worker) -> None:
    """What serve and worker run with: a backup's blob copy, made after its database copy, finds them all."""
    patient = Worker(worker.store, worker.blobs, replace(worker.settings, garbage_grace=GARBAGE_GRACE))
    base, blobs = f"applications/{app}/submissions", tenant.server.state.blobs
    pending = tenant.http.post(base).json()
    upload(pending["fileUploadUrl"], zip_of({"a.msix": b"soon deleted"}))
    uploaded = _archive_of(tenant, pending["id"])
    assert tenant.http.delete(f"{base}/{pending['id']}").status_code == 204
    patient.collect_garbage()  # other tests' blobs may be older than the grace: the server is shared
    assert blobs.properties(uploaded) is not None
    later = utcnow() + GARBAGE_GRACE + timedelta(seconds=1)
    assert patient.collect_garbage(now=later) >= 1
    assert blobs.properties(uploaded) is None
