"""Readiness: may this process be sent traffic? The database answers at the schema's head revision, the blob
store takes a write, and (with `--warm-delivery`) the delivery snapshots are built.

Liveness stays `/healthz` (the process answers at all); `/readyz` answers with `Readiness.report`. The blob
probe writes and deletes a tiny blob of this process's own, at most once per `blob_ttl` seconds, so a load
balancer polling every second costs one query per poll and a write now and then.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from storeflight.blobs.protocol import BlobStore
from storeflight.delivery.cache import SnapshotCache
from storeflight.storage.migrate import HEAD_REVISION
from storeflight.storage.protocol import Store

OK = "ok"
PROBE_BYTES = b"storeflight readiness probe\n"


@dataclass(frozen=True)
class Report:
    checks: dict[str, str]  # check name -> "ok" or why it fails

    @property
    def ready(self) -> bool:
        return all(value == OK for value in self.checks.values())

    def body(self) -> dict[str, object]:
        failing = sorted(name for name, value in self.checks.items() if value != OK)
        return {"status": "ready" if self.ready else "unready", "checks": self.checks, "failing": failing}


def _failure(error: BaseException) -> str:
    """What a failing check says: the kind of error only (its text may name hosts, users or paths)."""
    return f"failing: {type(error).__name__}"


class Readiness:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        delivery: SnapshotCache,
        *,
        warm_delivery: bool,
        blob_ttl: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.blobs, self.delivery, self.warm_delivery = store, blobs, delivery, warm_delivery
        self.blob_ttl, self.clock = blob_ttl, clock
        self._blob_lock = threading.Lock()
        self._blob: tuple[float, str] | None = None  # (when probed, its result)
        self.probe_name = f"storeflight-readiness-{os.getpid()}"

    def report(self) -> Report:
        """Every check, run now (the blob probe's result may be up to `blob_ttl` old)."""
        database, migrations = self._database()
        checks = {"database": database, "migrations": migrations, "blobs": self._blobs_writable()}
        if self.warm_delivery:
            checks["delivery"] = OK if self.delivery.warmed.is_set() else "warming"
        return Report(checks)

    def _database(self) -> tuple[str, str]:
        try:
            with self.store.transaction(write=False) as tx:
                revision = tx.schema_revision()
        except Exception as error:
            return _failure(error), "unknown"
        if revision != HEAD_REVISION:
            return OK, f"at revision {revision}, not {HEAD_REVISION}"
        return OK, OK

    def _blobs_writable(self) -> str:
        with self._blob_lock:
            if self._blob is not None and self.clock() - self._blob[0] < self.blob_ttl:
                return self._blob[1]
            try:
                self.blobs.put(self.probe_name, [PROBE_BYTES], max_bytes=len(PROBE_BYTES))
                self.blobs.delete(self.probe_name)
                result = OK
            except Exception as error:
                result = _failure(error)
            self._blob = (self.clock(), result)
            return result
