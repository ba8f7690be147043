"""Uploads to `fileUploadUrl` through the proxy: in interception mode the URL is on the API host, so the real
Blob SDKs (Python and JavaScript) reach it through HTTPS_PROXY and trust it through the CA variables."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azure.storage.blob import BlobClient

from tests.intercept.conftest import API, Intercepted, intercepted_tenant
from tests.jstools import JS_DIR, require_js


def _upload_url(server: Intercepted) -> str:
    tenant = intercepted_tenant(server)
    app_id = tenant.create_app()
    submission = tenant.create_flight(app_id)["pendingFlightSubmission"]["resourceLocation"]
    body = tenant.http.get(f"applications/{app_id}/{submission}").json()
    url = str(body["fileUploadUrl"])
    assert url.startswith(f"{API}/storeflight/ingestion/"), url
    return url


def _stored(server: Intercepted, url: str) -> bytes:
    name = urlsplit(url).path.rsplit("/", 1)[1]
    with server.listener.state.blobs.local_copy(name) as path:
        return path.read_bytes()


@pytest.mark.parametrize("blocks", [False, True])
def test_python_blob_sdk_uploads_through_the_proxy(proxy_env: Intercepted, tmp_path: Path, blocks: bool) -> None:
    url = _upload_url(proxy_env)
    data = os.urandom(300_000)
    sizes = {"max_single_put_size": 64 * 1024, "max_block_size": 64 * 1024} if blocks else {}
    client = BlobClient.from_blob_url(url, retry_total=0, **sizes)
    client.upload_blob(data, max_concurrency=3)
    assert client.get_blob_properties().size == len(data)
    assert _stored(proxy_env, url) == data


@pytest.mark.parametrize("mode", ["single", "blocks"])
def test_javascript_blob_sdk_uploads_through_the_proxy(proxy_env: Intercepted, tmp_path: Path, mode: str) -> None:
    require_js("@azure/storage-blob/package.json")
    url = _upload_url(proxy_env)
    archive = tmp_path / "upload.zip"
    archive.write_bytes(os.urandom(200_000))
    command = ["node", str(JS_DIR / "upload.mjs"), url, str(archive), mode]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["size"] == 200_000
    assert _stored(proxy_env, url) == archive.read_bytes()
