"""A full disk, for real (a small tmpfs) and through an ENOSPC-raising blob store, on a live server.

The API answers 503 in the Store's JSON shape with Retry-After, the blob endpoint 503 ServerBusy in Azure's
XML; nothing half-written stays behind, deletes still work, and the blob garbage collection frees the space.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.storage.sql import SqlStore
from tests.blobs.test_local import EnospcStore
from tests.support import LiveServer, Tenant, fill_disk, make_settings, new_tenant, open_store, small_disk

MIB = 1024 * 1024


@dataclass
class Disk:
    """A live server whose data folder (and, on SQLite, database) is on a small file system of its own."""

    path: Path
    server: LiveServer
    tenant: Tenant
    app_id: str
    group_id: str

    def new_flight(self) -> requests.Response:
        body = {"friendlyName": f"beta-{uuid.uuid4().hex[:8]}", "groupIds": [self.group_id]}
        return self.tenant.http.post(f"applications/{self.app_id}/flights", json=body)

    def upload_target(self) -> tuple[str, str]:
        """(submission path, fileUploadUrl) of a new flight's pending submission."""
        flight = self.new_flight()
        assert flight.status_code == 201, flight.text
        data = flight.json()
        path = f"applications/{self.app_id}/flights/{data['flightId']}/submissions/"
        path += data["pendingFlightSubmission"]["id"]
        return path, str(self.tenant.http.get(path).json()["fileUploadUrl"])

    def leftovers(self) -> list[Path]:
        return list((self.path / "blobs" / ".tmp").iterdir())


@pytest.fixture
def disk_store(store: SqlStore, tmp_path: Path) -> Iterator[tuple[Path, SqlStore]]:
    with small_disk(tmp_path / "disk", "48m") as path:
        if store.is_postgres:
            yield path, store
            return
        local = open_store(f"sqlite:///{path / 'storeflight.db'}")
        try:
            yield path, local
        finally:
            local.close()


@contextmanager
def _disk(disk_store: tuple[Path, SqlStore], **settings: int) -> Iterator[Disk]:
    path, store = disk_store
    with LiveServer(store, make_settings(path, **settings)) as server:
        tenant = new_tenant(server)
        yield Disk(path, server, tenant, tenant.create_app(), tenant.create_group())


@pytest.fixture
def floored(disk_store: tuple[Path, SqlStore]) -> Iterator[Disk]:
    with _disk(disk_store, min_free_bytes=16 * MIB) as disk:
        yield disk


@pytest.fixture
def unfloored(disk_store: tuple[Path, SqlStore]) -> Iterator[Disk]:
    with _disk(disk_store, min_free_bytes=0) as disk:
        yield disk


def _assert_storage_full(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "ServiceUnavailable" and int(response.headers["Retry-After"]) > 0


def _assert_server_busy(url: str, data: bytes) -> None:
    with pytest.raises(HttpResponseError) as raised:
        BlobClient.from_blob_url(url, retry_total=0).upload_blob(data, overwrite=True)
    assert raised.value.status_code == 503 and raised.value.error_code == "ServerBusy"
    assert raised.value.response is not None and int(raised.value.response.headers["Retry-After"]) > 0


def test_below_the_floor_writes_are_503_deletes_work_and_collection_frees_space(floored: Disk) -> None:
    first, first_url = floored.upload_target()
    _, second_url = floored.upload_target()
    BlobClient.from_blob_url(first_url).upload_blob(os.urandom(20 * MIB))
    filler = fill_disk(floored.path, leave=12 * MIB)  # room left, but less than the 16 MiB floor
    _assert_server_busy(second_url, b"x" * MIB)
    _assert_storage_full(floored.new_flight())
    assert floored.tenant.http.get(f"applications/{floored.app_id}/listflights").status_code == 200
    assert floored.tenant.http.delete(first).status_code == 204  # deletes are let through: they free space
    worker = Worker(floored.server.store, floored.server.state.blobs, WorkerSettings())
    assert worker.collect_garbage() >= 1
    assert floored.new_flight().status_code == 201
    BlobClient.from_blob_url(second_url, retry_total=0).upload_blob(b"x" * MIB)
    assert floored.leftovers() == []
    filler.unlink()


def test_on_a_full_disk_uploads_are_server_busy_and_leave_nothing(unfloored: Disk) -> None:
    _, url = unfloored.upload_target()
    filler = fill_disk(unfloored.path, leave=MIB)
    _assert_server_busy(url, os.urandom(3 * MIB))
    client = BlobClient.from_blob_url(url, retry_total=0, max_single_put_size=MIB, max_block_size=MIB)
    with pytest.raises(HttpResponseError) as raised:
        client.upload_blob(os.urandom(3 * MIB), overwrite=True)
    assert raised.value.status_code == 503 and raised.value.error_code == "ServerBusy"
    assert unfloored.leftovers() == []
    assert requests.head(url, timeout=30).status_code == 404
    filler.unlink()
    BlobClient.from_blob_url(url, retry_total=0).upload_blob(os.urandom(3 * MIB))


def test_blob_collection_runs_on_a_completely_full_disk(unfloored: Disk) -> None:
    path, url = unfloored.upload_target()
    BlobClient.from_blob_url(url).upload_blob(os.urandom(8 * MIB))
    assert unfloored.tenant.http.delete(path).status_code == 204
    filler = fill_disk(unfloored.path)  # not a byte left
    worker = Worker(unfloored.server.store, unfloored.server.state.blobs, WorkerSettings())
    assert worker.collect_garbage() == 1
    assert requests.head(url, timeout=30).status_code == 404
    with unfloored.server.store.transaction(write=False) as tx:
        assert tx.blob_garbage(10) == []
    filler.unlink()


def test_a_full_sqlite_database_is_503_in_the_store_shape(tmp_path: Path) -> None:
    """SQLite only: its database lives in the data folder (PostgreSQL keeps its data elsewhere)."""
    with (
        small_disk(tmp_path / "disk", "16m") as path,
        closing(open_store(f"sqlite:///{path}/sf.db")) as local,
        _disk((path, local), min_free_bytes=0) as disk,
    ):
        filler = fill_disk(path)
        responses = [disk.new_flight() for _ in range(20)]  # SQLite may absorb the first in pages it holds
        assert any(r.status_code == 503 for r in responses), [r.status_code for r in responses]
        for response in responses:
            assert response.status_code in (201, 503), response.text
            if response.status_code == 503:
                _assert_storage_full(response)
        filler.unlink()
        assert disk.new_flight().status_code == 201


def test_an_enospc_blob_store_is_server_busy(store: SqlStore, tmp_path: Path) -> None:
    with store.transaction(write=True) as tx:  # the key the server signs upload URLs with
        key = tx.put_setting_if_absent("sas_signing_key", secrets.token_urlsafe(48))
    blobs = EnospcStore(tmp_path / "blobs", key)
    with LiveServer(store, make_settings(tmp_path, min_free_bytes=0), blobs=blobs) as server:
        tenant = new_tenant(server)
        disk = Disk(tmp_path, server, tenant, tenant.create_app(), tenant.create_group())
        _, url = disk.upload_target()
        _assert_server_busy(url, b"x" * 5000)
        assert disk.leftovers() == []
        BlobClient.from_blob_url(url, retry_total=0).upload_blob(b"x" * 500)  # fits in the room there is
