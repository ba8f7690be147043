"""Two real `storeflight worker` processes on one PostgreSQL database deliver every event to every webhook
exactly once (when every receiver answers 200 at once: no lease runs out, nothing is retried)."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from storeflight.services.context import Caller, Context
from storeflight.storage.sql import SqlStore
from storeflight.webhooks import service
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_storage import halt


def _worker(database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    args = ["worker", "--database-url", database_url, "--data-dir", str(data_dir), "--log-level", "warning"]
    return subprocess.Popen([sys.executable, "-m", "storeflight", *args, "--webhook-retry", "0.2"])


def test_two_worker_processes_deliver_each_event_once(database_url: str, store: SqlStore, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several worker processes need PostgreSQL (SQLite has one writer)")
    tenant = str(uuid.uuid4())
    ctx = Context(caller=Caller(tenant, "tests"))
    with Receiver() as receiver:
        with store.transaction(write=True) as tx:
            hooks = [
                service.create(tx, ctx, service.spec(f"{receiver.url}/{i}", None, None, True))[0] for i in range(10)
            ]
        for _ in range(5):
            halt(store, tenant)  # one event each, for all ten webhooks: 50 deliveries
        workers = [_worker(database_url, tmp_path) for _ in range(2)]
        try:
            got = receiver.wait_for(50, timeout=60)
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
    pairs = Counter((r.path, r.headers["storeflight-event-id"]) for r in got)
    assert len(pairs) == 50 and set(pairs.values()) == {1}
    assert {path for path, _ in pairs} == {f"/hook/{i}" for i in range(len(hooks))}
