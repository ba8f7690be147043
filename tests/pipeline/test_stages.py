"""PreProcessing on a live server: a nested-archive upload fails alone, within its budget."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.ingest.builders import Identity, nested_bomb
from tests.pipeline.test_end_to_end import drain, submit, submit_package
from tests.support import Tenant, new_tenant

IDENTITY = Identity()


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder the worker's stages use, watched by the test."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def test_a_nested_archive_fails_its_own_submission_and_another_tenants_package_is_published(
    tenant: Tenant, scratch: Path
) -> None:
    worker = Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())
    bomb_app = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    packages = [{"fileName": "App.appxupload", "fileStatus": "PendingUpload"}]
    bomb = submit(tenant, f"applications/{bomb_app}/submissions", packages, nested_bomb(80 << 20))
    other = new_tenant(tenant.server)
    good_app = other.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    good = submit_package(other, f"applications/{good_app}/submissions")
    drain(worker)

    failed = tenant.http.get(f"applications/{bomb_app}/submissions/{bomb}/status").json()
    assert failed["status"] == "PreProcessingFailed"
    error = failed["statusDetails"]["errors"][0]
    assert error["code"] == "PackageValidationFailed"
    assert error["details"].startswith("App.appxupload: App.msix: extracting 'App.msix' (83886080 bytes)")
    assert "more than its budget of" in error["details"]
    assert other.http.get(f"applications/{good_app}/submissions/{good}/status").json()["status"] == "Published"
    assert list(scratch.iterdir()) == []  # every stage removed its temporary files
