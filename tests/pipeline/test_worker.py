"""The worker on a full disk (a stage that found no space runs again later), and its idle-time upkeep."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from storeflight.blobs.protocol import BlobInfo, BlobStore
from storeflight.domain.dates import utcnow
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.telemetry.tally import hour_of
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


def test_an_idle_worker_forgets_event_ids_past_the_retention_window(tenant: Tenant) -> None:
    store = tenant.server.store
    long_ago = datetime(2001, 3, 1, tzinfo=UTC)  # hours no other test writes ids in
    with store.transaction(write=True) as tx:
        tx.add_report_ids([b"a" * 16, b"b" * 16], hour_of(long_ago))
        tx.add_report_ids([b"c" * 16], hour_of(long_ago + timedelta(days=6)))
    settings = WorkerSettings(report_id_retention=timedelta(days=7))
    worker = Worker(store, tenant.server.state.blobs, settings)
    assert worker.prune_report_ids(now=long_ago + timedelta(days=8), batch=1) >= 2  # in batches of one
    with store.transaction(write=True) as tx:
        assert tx.add_report_ids([b"a" * 16, b"b" * 16, b"c" * 16], hour_of(long_ago)) == {b"a" * 16, b"b" * 16}
    assert worker.pruned_at == long_ago + timedelta(days=8)
