"""/metrics of a real `serve --workers 2` on PostgreSQL: the sums over both HTTP workers and the pipeline."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from storeflight.storage.sql import SqlStore
from tests.cli.test_worker import FINAL, IDENTITY, Server, _client, _wait_status
from tests.ingest.builders import Identity, package_bytes
from tests.pipeline.test_end_to_end import zip_of
from tests.support import free_port

DEVICE = {"deviceFamily": "Windows.Desktop", "osVersion": "10.0.22621.0"}
Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(port: int) -> tuple[str, Samples]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    found: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return text, found


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if all(found.get(k) == w for k, w in labels.items()))


def scrape_until(port: int, name: str, wanted: float, timeout: float = 10, **labels: str) -> tuple[str, Samples]:
    """Scrape until `name` reaches `wanted` (the hot paths' counts reach the files once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        text, samples = scrape(port)
        if total(samples, name, **labels) >= wanted or time.monotonic() > deadline:
            return text, samples
        time.sleep(0.2)


def _publish(http: httpx.Client, app_id: str, version: str, rollout: float | None = None) -> tuple[str, int]:
    """Create, upload through the SAS URL, commit; the submission id and the uploaded size."""
    sub = http.post(f"applications/{app_id}/submissions").json()
    sub["applicationPackages"] = [{"fileName": "a.msix", "fileStatus": "PendingUpload"}]
    sub["notesForCertification"] = "Test."
    if rollout is not None:
        sub["packageDeliveryOptions"] = {
            "packageRollout": {"isPackageRollout": True, "packageRolloutPercentage": rollout}
        }
    put = http.put(f"applications/{app_id}/submissions/{sub['id']}", json=sub).json()
    data = zip_of({"a.msix": package_bytes(identity=Identity(IDENTITY.name, IDENTITY.publisher, version))})
    assert httpx.put(put["fileUploadUrl"], content=data, headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    assert http.post(f"applications/{app_id}/submissions/{sub['id']}/commit").status_code == 200
    assert _wait_status(http, app_id, str(sub["id"]), FINAL, timeout=60) == "Published"
    return str(sub["id"]), len(data)


def started(server: Server, timeout: float = 90) -> Server:
    """Wait for a spawned server (two workers starting on a busy machine take longer than `Server.start` waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process is not None and server.process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{server.url}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, int]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the multi-process scenario runs on PostgreSQL (its single-process twin is in test_metrics.py)")
    port = free_port()
    server = Server(database_url, tmp_path, "--workers", "2", "--metrics-port", str(port), "--stage-delay", "0")
    try:
        started(server.spawn())
        yield server, port
    finally:
        server.stop()


def _deliveries(server: Server, token: str, app_id: str, count: int) -> None:
    """`count` delivery requests on 20 connections, which the kernel spreads over both workers."""
    url = f"{server.url}/v1.0/my/applications/{app_id}/delivery"
    for connection in range(20):
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
            for n in range(count // 20):
                answer = client.get(url, params={"customerId": f"c{connection}-{n}@example.com", **DEVICE})
                assert answer.status_code == 200


def test_a_release_seen_through_metrics_summed_over_both_workers(served: tuple[Server, int], store: SqlStore) -> None:
    server, port = served
    http, app_id = _client(store, server)  # one token issued
    _, first_size = _publish(http, app_id, "1.0.0.0")
    sid, second_size = _publish(http, app_id, "1.1.0.0", rollout=10)
    assert (
        http.post(
            f"applications/{app_id}/submissions/{sid}/updatepackagerolloutpercentage", params={"percentage": 50}
        ).status_code
        == 200
    )
    time.sleep(0.5)  # past the snapshots' recheck: both workers answer from the 50 % rollout
    token = http.headers["Authorization"].removeprefix("Bearer ")
    _deliveries(server, token, app_id, 1000)
    form = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "wrong"}
    refused = httpx.post(f"{server.url}/{'0' * 8}-0000-0000-0000-{'0' * 12}/oauth2/token", data=form)
    assert refused.status_code in (400, 401)
    route = "/v1.0/my/applications/{application_id}/delivery"
    text, samples = scrape_until(port, "storeflight_http_requests_total", 1000, route=route, status="200")
    assert total(samples, "storeflight_http_requests_total", route=route, method="GET", status="200") == 1000
    assert total(samples, "storeflight_http_request_duration_seconds_count", route=route, method="GET") == 1000
    decided = {
        s["reason"]: v for s, v in samples["storeflight_delivery_decisions_total"] if s["source"] == "delivery_api"
    }
    assert sum(decided.values()) == 1000
    assert decided.keys() == {"in_rollout", "outside_rollout"}  # a 50 % rollout: some of each
    checked = [s["pid"] for s, v in samples["storeflight_delivery_snapshots_checked_timestamp_seconds"] if v > 0]
    assert len(set(checked)) == 2  # both HTTP workers answered delivery requests
    assert total(samples, "storeflight_delivery_snapshot_builds_total") >= 2
    assert total(samples, "storeflight_tokens_total", outcome="issued") == 1
    assert total(samples, "storeflight_tokens_total", outcome=refused.json()["error"]) == 1  # its OAuth error
    assert total(samples, "storeflight_tokens_total") == 2
    for stage in ("CommitStarted", "PreProcessing", "Certification", "Release", "Publishing"):
        assert total(samples, "storeflight_pipeline_stages_total", stage=stage, outcome="advanced") == 2, stage
    assert total(samples, "storeflight_pipeline_stage_duration_seconds_count", stage="Publishing") == 2
    assert total(samples, "storeflight_upload_bytes_total", operation="put_blob") == first_size + second_size
    assert total(samples, "storeflight_pipeline_oldest_waiting_seconds") == 0
    assert app_id not in text and sid not in text  # route templates only: no ids in any label
