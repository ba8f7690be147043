"""Worker slots on a live server: one tenant's long stage does not hold another tenant's commit behind it."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator

import pytest

from storeflight.domain.lifecycle import Status
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import submit, zip_of
from tests.support import Tenant, new_tenant

IDENTITY = Identity()
BIG = 1000


@pytest.fixture
def pool(tenant: Tenant) -> Iterator[BackgroundWorker]:
    worker = Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings(idle_poll=0.05))
    runner = BackgroundWorker(worker, slots=2).start()
    yield runner
    runner.stop(timeout=600)


def _status(tenant: Tenant, app: str, submission_id: str) -> str:
    response = tenant.http.get(f"applications/{app}/submissions/{submission_id}/status")
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def _wait_for(tenant: Tenant, app: str, submission_id: str, wanted: set[str], limit: float = 600) -> str:
    deadline = time.monotonic() + limit
    while (status := _status(tenant, app, submission_id)) not in wanted:
        assert time.monotonic() < deadline, f"still {status}"
        time.sleep(0.02)
    return status


def _many_packages(count: int) -> bytes:
    package = package_bytes(identity=IDENTITY, files={"App.exe": b"x" * 1000})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for index in range(count):
            zf.writestr(f"p{index}.msix", package)
    return buffer.getvalue()


def test_a_small_commit_completes_while_another_tenants_big_submission_runs(
    tenant: Tenant, pool: BackgroundWorker
) -> None:
    big_app = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    packages = [{"fileName": f"p{i}.msix", "fileStatus": "PendingUpload"} for i in range(BIG)]
    big = submit(tenant, f"applications/{big_app}/submissions", packages, _many_packages(BIG))
    _wait_for(tenant, big_app, big, {Status.PRE_PROCESSING.value})

    other = new_tenant(tenant.server)
    small_app = other.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    small_package = [{"fileName": "a.msix", "fileStatus": "PendingUpload"}]
    archive = zip_of({"a.msix": package_bytes(identity=IDENTITY)})
    small = submit(other, f"applications/{small_app}/submissions", small_package, archive)
    assert _wait_for(other, small_app, small, {"Published", "PreProcessingFailed", "CommitFailed"}) == "Published"

    assert _status(tenant, big_app, big) == Status.PRE_PROCESSING.value  # still running: the small one overtook it
    assert _wait_for(tenant, big_app, big, {"Published", "PreProcessingFailed"}) == "Published"
