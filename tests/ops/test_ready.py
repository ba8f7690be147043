"""GET /readyz: 200 with every check when ready, 503 naming the failing checks otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from storeflight.blobs.local import LocalBlobStore
from storeflight.delivery.cache import SnapshotCache
from storeflight.ops.ready import Readiness
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import HEAD_REVISION
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, free_port, make_settings, open_store


def test_a_ready_server_answers_200_with_its_checks(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "blobs": "ok"},
        "failing": [],
    }


class _ReadOnlyBlobs(LocalBlobStore):
    """A blob store whose disk refuses writes (root ignores file modes, so a test cannot make one)."""

    puts = 0

    def put(self, name: str, chunks: Iterable[bytes], **options: Any) -> Any:
        type(self).puts += 1
        raise OSError(30, "Read-only file system")


def test_an_unwritable_blob_store_and_a_database_behind_are_not_ready(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'behind.db'}")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    blobs = _ReadOnlyBlobs(tmp_path / "blobs", sas_key="k")
    with LiveServer(store, make_settings(tmp_path), blobs=blobs) as live:
        first = httpx.get(f"{live.url}/readyz")
        second = httpx.get(f"{live.url}/readyz")
    store.close()
    assert first.status_code == 503
    assert first.json()["failing"] == ["blobs", "migrations"]
    assert first.json()["checks"]["blobs"] == "failing: OSError"
    assert first.json()["checks"]["migrations"] == f"at revision 0001, not {HEAD_REVISION}"
    assert second.status_code == 503
    assert _ReadOnlyBlobs.puts == 1  # the second poll, within a second, reused the blob probe's result


def test_an_unreachable_database_fails_without_naming_it(tmp_path: Path) -> None:
    store = SqlStore(make_engine(f"postgresql://storeflight:pa55@127.0.0.1:{free_port()}/nowhere"))
    blobs = LocalBlobStore(tmp_path / "blobs", sas_key="k")
    readiness = Readiness(store, blobs, SnapshotCache(store), warm_delivery=False)
    report = readiness.report()
    store.close()
    assert not report.ready
    assert report.checks["database"].startswith("failing: ")
    assert "pa55" not in str(report.body())
    assert report.checks["blobs"] == "ok"
    assert not list((tmp_path / "blobs").rglob("storeflight-readiness-*"))  # the probe blob was deleted


def test_with_warm_delivery_it_is_ready_once_the_snapshots_are_built(store: SqlStore, tmp_path: Path) -> None:
    cache = SnapshotCache(store)
    readiness = Readiness(store, LocalBlobStore(tmp_path / "blobs", sas_key="k"), cache, warm_delivery=True)
    assert readiness.report().checks["delivery"] == "warming"
    cache.warm()
    assert readiness.report().ready
