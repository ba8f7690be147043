"""The worker on a full disk: a stage that found no space runs again later instead of failing the package."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from storeflight.blobs.protocol import BlobInfo, BlobStore
from storeflight.domain.dates import utcnow
from storeflight.pipeline.worker import Worker, WorkerSettings
from tests.pipeline.test_end_to_end import IDENTITY, submit_package
from tests.support import Tenant


class FullDisk:
    """The server's blob store, but every whole-blob write fails with ENOSPC while `full` is set."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self.full = True

    def put(self, name: str, chunks: Iterable[bytes], **options: Any) -> BlobInfo:
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.blobs.put(name, chunks, **options)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.blobs, attribute)


def test_a_stage_without_space_is_retried_later_not_failed(tenant: Tenant) -> None:
    app = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
    base = f"applications/{app}/submissions"
    sid = submit_package(tenant, base)
    disk = FullDisk(tenant.server.state.blobs)
    settings = WorkerSettings(space_retry=timedelta(minutes=5))
    worker = Worker(tenant.server.store, disk, settings)  # type: ignore[arg-type]
    while worker.run_once():  # CommitStarted passes; PreProcessing stores packages and finds the disk full
        pass
    status = tenant.http.get(f"{base}/{sid}/status").json()
    assert status["status"] == "PreProcessing" and status["statusDetails"]["errors"] == []
    with tenant.server.store.transaction(write=False) as tx:
        waiting = tx.get_submission(tenant.tenant_id, sid)
    assert waiting is not None and waiting.next_run_at is not None
    assert waiting.next_run_at > utcnow() + timedelta(minutes=4)
    disk.full = False  # space was freed
    later = utcnow() + timedelta(minutes=6)
    for _ in range(20):
        if not worker.run_once(now=later):
            break
    assert tenant.http.get(f"{base}/{sid}/status").json()["status"] == "Published"
