"""What the device endpoint tests share: a worker, a published app, delivery keys and an XSD check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import IDENTITY, drain, submit, zip_of
from tests.support import Tenant

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("appinstaller-2018.xsd"))))
NAMESPACE = "{http://schemas.microsoft.com/appx/appinstaller/2018}"
DEVICE = {"deviceFamily": "Windows.Desktop", "osVersion": "10.0.19045.0", "architecture": "x64"}


@pytest.fixture
def worker(tenant: Tenant) -> Iterator[Worker]:
    yield Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings())


def publish(tenant: Tenant, worker: Worker, base: str, version: str = "1.2.3.0", **fields: Any) -> str:
    """Publish a one-package (x64) submission of `version` at `base` (an app's or flight's submissions)."""
    package = package_bytes(identity=Identity(version=version))
    files = [{"fileName": f"app-{version}.msix", "fileStatus": "PendingUpload"}]
    sid = submit(tenant, base, files, zip_of({f"app-{version}.msix": package}), **fields)
    drain(worker)
    status = tenant.http.get(f"{base}/{sid}/status").json()["status"]
    assert status == "Published", status
    return sid


@pytest.fixture
def app(tenant: Tenant, worker: Worker) -> str:
    """An app whose non-flighted line has published one x64 package, version 1.2.3.0."""
    app_id = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    publish(tenant, worker, f"applications/{app_id}/submissions")
    return app_id


def new_key(tenant: Tenant, app_id: str | None, **options: Any) -> str:
    with tenant.server.store.transaction(write=True) as tx:
        _, secret = service.create_key(
            tx, tenant.tenant_id, app_id, name="fleet", now=dates.utcnow(), **options, by=ADMIN
        )
    return secret


def device_client(tenant: Tenant, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=f"{tenant.server.url}/devices/v1/", headers=headers, timeout=30)


def enroll(tenant: Tenant, app_id: str, key: str, customer: str, **device: str) -> dict[str, Any]:
    with device_client(tenant, key) as client:
        response = client.post(f"apps/{app_id}/enroll", json={"customerId": customer, **device})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def valid_installer(content: bytes) -> Any:
    """The parsed App Installer file, after checking it against the XSD (and what the XSD cannot say)."""
    document = etree.fromstring(content)
    SCHEMA.assertValid(document)
    for on_launch in document.iter(f"{NAMESPACE}OnLaunch"):
        if on_launch.get("UpdateBlocksActivation") == "true":
            assert on_launch.get("ShowPrompt") == "true"
    return document
