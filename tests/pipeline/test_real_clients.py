"""End to end with real uploaders: create -> PUT -> upload -> commit -> Published, for flights and apps,
with a corpus package; the resources carry the metadata extracted from it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from azure.storage.blob import BlobClient

from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.corpus import EXPECTED, corpus_dir
from tests.jstools import JS_DIR, require_js
from tests.pipeline.test_end_to_end import drain, zip_of
from tests.support import Tenant

PACKAGE = "HelloWorld.appx"


def _raw(url: str, archive: Path) -> None:
    response = requests.put(
        url.replace("+", "%2B"), data=archive.read_bytes(), headers={"x-ms-blob-type": "BlockBlob"}, timeout=30
    )
    assert response.status_code == 201, response.text


def _sdk_single(url: str, archive: Path) -> None:
    with archive.open("rb") as data:
        BlobClient.from_blob_url(url).upload_blob(data)


def _sdk_blocks(url: str, archive: Path) -> None:
    client = BlobClient.from_blob_url(url, max_single_put_size=4096, max_block_size=4096)
    with archive.open("rb") as data:
        client.upload_blob(data, max_concurrency=3)


def _npm(url: str, archive: Path) -> None:
    require_js("@azure/storage-blob")
    result = subprocess.run(
        ["node", str(JS_DIR / "upload.mjs"), url, str(archive), "blocks"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


UPLOADERS: dict[str, Callable[[str, Path], None]] = {
    "raw PUT": _raw,
    "azure-storage-blob single": _sdk_single,
    "azure-storage-blob blocks": _sdk_blocks,
    "@azure/storage-blob": _npm,
}


@pytest.mark.parametrize("uploader", list(UPLOADERS))
@pytest.mark.parametrize("kind", ["flight", "app"])
def test_a_corpus_package_is_published_with_each_uploader(
    tenant: Tenant, tmp_path: Path, uploader: str, kind: str
) -> None:
    expected = EXPECTED["valid"].get(PACKAGE) or {}
    data = (corpus_dir() / "valid" / PACKAGE).read_bytes()
    app = tenant.create_app(identity=expected["identityName"], publisher=expected["publisher"])
    base = f"applications/{app}/submissions"
    key = "applicationPackages"
    if kind == "flight":
        flight = tenant.create_flight(app)
        base = f"applications/{app}/flights/{flight['flightId']}/submissions"
        tenant.http.delete(f"{base}/{flight['pendingFlightSubmission']['id']}")
        key = "flightPackages"
    sub = tenant.http.post(base).json()
    sub[key] = [*sub[key], {"fileName": f"pkgs/{PACKAGE}", "fileStatus": "PendingUpload"}]
    sub["notesForCertification"] = "Tested."
    url = tenant.http.put(f"{base}/{sub['id']}", json=sub).json()["fileUploadUrl"]
    archive = tmp_path / "upload.zip"
    archive.write_bytes(zip_of({f"pkgs/{PACKAGE}": data}))
    UPLOADERS[uploader](url, archive)
    assert tenant.http.post(f"{base}/{sub['id']}/commit").status_code == 200
    drain(Worker(tenant.server.store, tenant.server.state.blobs, WorkerSettings()))
    body = tenant.http.get(f"{base}/{sub['id']}").json()
    assert body["status"] == "Published", body["statusDetails"]
    (entry,) = body[key]
    assert (entry["version"], entry["architecture"]) == (expected["version"], expected["architecture"])
    assert entry["languages"] == expected["languages"]
    assert entry["fileStatus"] == "Uploaded"
