"""Example release pipelines against a live server with rough edges on: the project's client (which retries
with Retry-After and renews tokens) and a plain documented-sample-style script publish a flight package
through 429s, 503s, a stuck commit, timed stages and short-lived tokens."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storeflight.client import Package, StoreClient
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.storage import tables
from tests.client.conftest import config_for, package_file
from tests.ingest.builders import Identity
from tests.pipeline.test_end_to_end import zip_of
from tests.roughedges.conftest import RoughServer, tenant_named
from tests.support import LiveServer

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rough_edges_sample.py"
IDENTITY = Identity()
# Fixed tenants: with the profile's seed, each sees the same sequence of 503s on every run.
CLIENT_TENANT = "0b8c3a52-7a4c-4b58-9d0e-3f1f5d1c2a01"
SAMPLE_TENANT = "5e2d8f11-94b7-4c3e-8a6d-1c7b9e0f4d02"
# Store-like proportions made fast: a few calls in a burst, commit harder, one call in five refused with 503,
# every commit held in CommitStarted for 1.5 s, stages of about a second, tokens that expire within the run.
PROFILE: dict[str, Any] = {
    "seed": 11,
    "throttle": {
        "requests_per_minute": 60,
        "burst": 3,
        "commit": {"requests_per_minute": 30, "burst": 1},
        "status": {"requests_per_minute": 20, "burst": 2},  # polling faster than every 3 s is throttled
    },
    "unavailable": {"rate": 0.2, "retry_after": "1s"},
    "stages": {
        "scale": 0.001,
        "PreProcessing": {"distribution": "uniform", "low": "5m", "high": "15m"},
        "Certification": {"distribution": "lognormal", "median": "15m", "sigma": 0.3, "max": "30m"},
    },
    "stuck": {"share": 1.0, "duration": "25m"},
}


@contextmanager
def pipeline_worker(live: LiveServer) -> Iterator[None]:
    """The server's embedded worker, as `storeflight serve` runs it: stage times from the same profile."""
    worker = Worker(live.store, live.state.blobs, WorkerSettings(timing=live.state.rough, idle_poll=0.05))
    runner = BackgroundWorker(worker).start()
    try:
        yield
    finally:
        runner.stop()


def test_the_projects_client_publishes_through_every_rough_edge(rough_server: RoughServer, tmp_path: Path) -> None:
    with rough_server(PROFILE, token_lifetime=timedelta(seconds=3)) as live, pipeline_worker(live):
        tenant = tenant_named(live, CLIENT_TENANT)
        app_id = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
        seen: list[str] = []
        with StoreClient(config_for(tenant, max_retries=10)) as client:
            group = client.create_group("rough", ["a@example.com"])
            flight = client.create_flight(app_id, "rough", [group.id])
            assert flight.pending_flight_submission is not None
            sub = client.get_submission(app_id, flight.pending_flight_submission.id, flight.flight_id)
            sub.application_packages.append(Package(file_name="Hello_x64.msix"))
            updated = client.update_submission(app_id, sub, flight.flight_id)
            client.upload_packages(updated.file_upload_url, [package_file(tmp_path)])
            assert client.commit_submission(app_id, sub.id, flight.flight_id).status == "CommitStarted"
            final = client.wait(
                app_id,
                sub.id,
                flight.flight_id,
                timeout=120,
                poll_interval=0.3,
                on_change=lambda s: seen.append(s.status),
            )
        assert final.status == "Published" and seen[-1] == "Published"
        counts = live.state.rough.counts if live.state.rough else {}
        assert counts["429"] > 0 and counts["503"] > 0 and counts["stuck"] == 1
        assert time_in(live, sub.id, "CommitStarted") >= 1.5  # held: 25 min scaled by 0.001


def time_in(live: LiveServer, submission_id: str, status: str) -> float:
    """Seconds between entering and leaving `status`, from the submission's recorded transitions."""
    events = tables.submission_events.c
    query = select(events.to_status, events.at).where(events.submission_id == submission_id).order_by(events.at)
    with live.store.engine.connect() as conn:
        moves = list(conn.execute(query))
    entered = next(i for i, (to, _) in enumerate(moves) if to == status)
    return float((moves[entered + 1][1] - moves[entered][1]).total_seconds())


def test_a_documented_sample_style_script_publishes_through_them_too(rough_server: RoughServer, tmp_path: Path) -> None:
    archive = tmp_path / "upload.zip"
    archive.write_bytes(zip_of({"Hello_x64.msix": package_file(tmp_path / "pkg").read_bytes()}))
    with rough_server(PROFILE, token_lifetime=timedelta(seconds=2)) as live, pipeline_worker(live):
        tenant = tenant_named(live, SAMPLE_TENANT)
        app_id = tenant.create_app(identity=IDENTITY.name, publisher=IDENTITY.publisher)
        with StoreClient(config_for(tenant, max_retries=10)) as client:  # the set-up goes through the edges too
            group = client.create_group("rough", ["a@example.com"])
            flight_id = client.create_flight(app_id, "rough", [group.id]).flight_id
        args = [live.url, tenant.tenant_id, tenant.client_id, tenant.secret, app_id, flight_id, str(archive)]
        run = subprocess.run(
            [sys.executable, str(SAMPLE), *args, "Hello_x64.msix"],
            check=False,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "final status: Published" in run.stdout
        assert ": 429, trying again in" in run.stdout and ": 503, trying again in" in run.stdout
        assert ": 401, getting a new token" in run.stdout  # the token expired while it waited
