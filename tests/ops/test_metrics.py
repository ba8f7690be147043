"""Metrics counted where things happen (in-process), and the endpoint of a real single-process server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.ops import exporter, metrics
from storeflight.ops.metrics import Metrics
from tests.cli.test_worker import Server
from tests.ops.test_metrics_workers import scrape_until, total
from tests.support import Tenant, free_port


@pytest.fixture
def counted() -> Iterator[Metrics]:
    """Metrics on in this process (in memory: no multiprocess folder here), off again afterwards."""
    metrics.disable()
    yield metrics.enable()
    metrics.disable()


def _value(found: Metrics, name: str, **labels: str) -> float:
    found.flush()  # the hot paths' counts reach the metrics once a second, or now
    return found.registry.get_sample_value(name, labels) or 0.0


def test_device_report_events_are_counted_by_outcome(tenant: Tenant, app_id: str, counted: Metrics) -> None:
    with tenant.server.store.transaction(write=True) as tx:
        _, secret = service.create_key(tx, tenant.tenant_id, app_id, name="f", now=dates.utcnow(), by=ADMIN)
    body = {
        "events": [
            {"id": "a", "type": "launched", "version": "1.0.0.0"},
            {"id": "a", "type": "launched", "version": "1.0.0.0"},
            {"id": "b", "type": "launched", "version": "one"},
        ]
    }
    url = f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    answer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {secret}"}, params={"customerId": "c"})
    assert answer.json()["accepted"] == 1
    outcomes = {
        o: _value(counted, "storeflight_device_report_events_total", outcome=o)
        for o in ("accepted", "duplicate", "refused")
    }
    assert outcomes == {"accepted": 1, "duplicate": 1, "refused": 1}
    assert _value(counted, "storeflight_http_requests_total", route="/devices/v1/apps/{app_id}/reports",
                  method="POST", status="200") == 1  # fmt: skip


def test_tokens_issued_and_refused_and_odd_requests_keep_labels_bounded(tenant: Tenant, counted: Metrics) -> None:
    tenant.fetch_token()
    form = {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": "wrong",
        "resource": "https://manage.devcenter.microsoft.com",
    }
    assert httpx.post(f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token", data=form).status_code == 401
    assert httpx.request("PROPFIND", f"{tenant.server.url}/v1.0/my/coffee/42").status_code in (404, 405)
    assert _value(counted, "storeflight_tokens_total", outcome="issued") == 1
    assert _value(counted, "storeflight_tokens_total", outcome="invalid_client") == 1
    assert _value(counted, "storeflight_http_requests_total", route="unmatched", method="other", status="404") == 1


def test_a_stage_is_counted_with_its_outcome(counted: Metrics) -> None:
    counted.stage("PreProcessing", "failed", 0.25)
    counted.stage("PreProcessing", "failed", None)  # an injected failure: counted, not timed
    assert _value(counted, "storeflight_pipeline_stages_total", stage="PreProcessing", outcome="failed") == 2
    assert _value(counted, "storeflight_pipeline_stage_duration_seconds_count", stage="PreProcessing") == 1


def test_without_a_metrics_port_nothing_is_counted(tenant: Tenant) -> None:
    metrics.disable()
    tenant.fetch_token()
    assert metrics.ACTIVE is None


def _folder_of(pid: int) -> Path:
    """The metrics folder the process `pid` writes its values to (its files are named by process id)."""
    (found,) = {p.parent for p in Path(tempfile.gettempdir()).glob(f"{exporter.PREFIX}*/*_{pid}.db")}
    return found


def test_a_server_sweeps_what_a_killed_one_left_serves_metrics_and_removes_its_own(tmp_path: Path) -> None:
    left = Path(tempfile.mkdtemp(prefix=exporter.PREFIX))  # as a killed server leaves it: no lock held
    (left / "counter_123.db").write_bytes(b"")
    os.utime(left, (time.time() - 5, time.time() - 5))
    port = free_port()
    server = Server(f"sqlite:///{tmp_path / 'sf.db'}", tmp_path, "--metrics-port", str(port)).start()
    try:
        assert not left.exists()
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        _, samples = scrape_until(port, "storeflight_http_requests_total", 1, route="/healthz", status="200")
        assert total(samples, "storeflight_http_requests_total", route="/healthz", status="200") >= 1
        assert server.process is not None
        own = _folder_of(server.process.pid)
    finally:
        server.stop()
    assert not own.exists()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_metrics_port_in_use_stops_serve_and_worker_with_a_clear_error(tmp_path: Path, command: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serving = ["--port", str(free_port())] if command == "serve" else []
        args = [command, "--data-dir", str(tmp_path), *serving, "--metrics-port", str(port)]
        command = [sys.executable, "-m", "storeflight", *args]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot serve metrics on 127.0.0.1:{port}" in done.stderr


def test_requests_counted_in_the_process_land_in_the_right_buckets(counted: Metrics) -> None:
    for seconds in (0.0004, 0.003, 0.003, 40.0):
        counted.request("/healthz", "GET", 200, seconds)
    assert _value(counted, "storeflight_http_requests_total", route="/healthz", method="GET", status="200") == 4
    bucket = "storeflight_http_request_duration_seconds_bucket"
    cumulative = {
        le: _value(counted, bucket, route="/healthz", method="GET", le=le)
        for le in ("0.0005", "0.0025", "0.005", "30.0", "+Inf")
    }
    assert cumulative == {"0.0005": 1, "0.0025": 1, "0.005": 3, "30.0": 3, "+Inf": 4}
    assert _value(
        counted, "storeflight_http_request_duration_seconds_sum", route="/healthz", method="GET"
    ) == pytest.approx(40.0064)
