"""Per-tenant upload slots, against a live server: one tenant's stalled uploads never block another's."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from urllib.parse import urlsplit

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, Tenant, make_settings, new_tenant

SLOTS = 8


@pytest.fixture(scope="module")
def live(store: SqlStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path_factory.mktemp("slots"), max_tenant_uploads=SLOTS)
    with LiveServer(store, settings) as server:
        yield server


def _upload_url(tenant: Tenant, app_id: str) -> str:
    flight = tenant.create_flight(app_id, name=f"beta-{uuid.uuid4().hex[:8]}")
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions"
    return str(tenant.http.get(f"{base}/{flight['pendingFlightSubmission']['id']}").json()["fileUploadUrl"])


def _stall(url: str) -> socket.socket:
    """A PUT that announces 1 MiB, sends 10 bytes and then nothing: it holds its slot."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10)
    head = (
        f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nx-ms-blob-type: BlockBlob\r\n"
        f"Content-Length: {1024 * 1024}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"0123456789")
    return sock


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_stalled_uploads_of_one_tenant_do_not_starve_another(live: LiveServer) -> None:
    a, b = new_tenant(live), new_tenant(live)
    a_app, b_app = a.create_app(), b.create_app()
    a_urls = [_upload_url(a, a_app) for _ in range(SLOTS + 1)]
    slots = live.state.upload_slots
    with ExitStack() as stack:
        for url in a_urls[:SLOTS]:
            stack.enter_context(closing(_stall(url)))
        _wait_for(lambda: slots.active(a.tenant_id) == SLOTS, "tenant A to hold every slot")
        busy = requests.put(a_urls[SLOTS], data=b"zip", headers={"x-ms-blob-type": "BlockBlob"}, timeout=30)
        assert busy.status_code == 503 and busy.headers["x-ms-error-code"] == "ServerBusy"
        assert int(busy.headers["Retry-After"]) > 0 and b"<Code>ServerBusy</Code>" in busy.content
        with pytest.raises(HttpResponseError) as raised:  # what the SDK makes of it (it would retry)
            BlobClient.from_blob_url(a_urls[SLOTS], retry_total=0).upload_blob(b"zip")
        assert raised.value.status_code == 503 and raised.value.error_code == "ServerBusy"
        started = time.monotonic()
        BlobClient.from_blob_url(_upload_url(b, b_app), retry_total=0).upload_blob(b"tenant B's archive")
        assert time.monotonic() - started < 10  # generous: it must not wait for A's stalled bodies
    _wait_for(lambda: slots.active(a.tenant_id) == 0, "A's abandoned uploads to give their slots back")
    BlobClient.from_blob_url(a_urls[SLOTS], retry_total=0).upload_blob(b"zip")


def test_reads_and_properties_need_no_upload_slot(live: LiveServer) -> None:
    a = new_tenant(live)
    app = a.create_app()
    urls = [_upload_url(a, app) for _ in range(SLOTS)]
    BlobClient.from_blob_url(urls[0]).upload_blob(b"done")
    with ExitStack() as stack:
        for url in [*urls[1:], urls[1]]:  # eight stalled uploads, two of them to one blob
            stack.enter_context(closing(_stall(url)))
        _wait_for(lambda: live.state.upload_slots.active(a.tenant_id) == SLOTS, "every slot taken")
        assert requests.get(urls[0], timeout=30).content == b"done"
        assert requests.head(urls[0], timeout=30).status_code == 200
        properties = requests.put(urls[0] + "&comp=properties", timeout=30)
        assert properties.status_code == 200
