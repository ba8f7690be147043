"""`serve` and `worker` with --rough-edges and the direct flags, as real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from storeflight.cli.rough import rough_profile, summary
from storeflight.domain import dates
from storeflight.services import admin
from storeflight.storage import tables
from storeflight.storage.sql import SqlStore
from tests.cli.test_worker import Server, _client, _commit_one, _wait_status

PROFILE = """
seed = 3
[throttle]
requests_per_minute = 600
[throttle.commit]
requests_per_minute = 1
burst = 1
[tokens]
lifetime = "45s"
[stages]
scale = 0.001
PreProcessing = { distribution = "fixed", value = "30m" }
"""


def test_no_options_mean_no_profile_and_flags_alone_make_one(tmp_path: Path) -> None:
    assert rough_profile(None, 5, None, None) is None
    profile = rough_profile(None, 5, 0.1, 20)
    assert profile is not None and profile.seed == 5
    assert summary(profile) == "tenant 20/min, 503 for 10.0% of calls"
    path = tmp_path / "p.toml"
    path.write_text(PROFILE)
    loaded = rough_profile(path, None, None, None)
    assert loaded is not None
    assert summary(loaded) == "tenant 600/min, commit 1/min, stage timing x0.001, tokens last 45 s"


def test_serve_applies_the_profile_file_with_flags_over_it(database_url: str, store: SqlStore, tmp_path: Path) -> None:
    path = tmp_path / "rough.toml"
    path.write_text(PROFILE)
    server = Server(database_url, tmp_path / "data", "--rough-edges", str(path), "--rough-503-rate", "0").start()
    try:
        http, app_id = _client(store, server)
        sid = _commit_one(http, app_id)
        again = http.post(f"applications/{app_id}/submissions/{sid}/commit")
        assert again.status_code == 429 and again.json()["statusCode"] == 429
        assert int(again.headers["Retry-After"]) > 50
        assert _wait_status(http, app_id, sid, {"Published"}) == "Published"
        assert time_in(store, sid, "PreProcessing") >= 1.5  # 30 min x 0.001, less the commit checks' own time
    finally:
        server.stop()


def test_the_token_lifetime_comes_from_the_profile(database_url: str, store: SqlStore, tmp_path: Path) -> None:
    path = tmp_path / "rough.toml"
    path.write_text('[tokens]\nlifetime = "45s"\n')
    server = Server(database_url, tmp_path / "data", "--rough-edges", str(path), "--no-worker").start()
    try:
        with store.transaction(write=True) as tx:
            client, secret = admin.create_client(tx, tenant_id=None, name="t", now=dates.utcnow())
        form = {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
            "resource": "https://manage.devcenter.microsoft.com",
        }
        token = httpx.post(f"{server.url}/{client.tenant_id}/oauth2/token", data=form).json()
        assert int(token["expires_in"]) == 45
    finally:
        server.stop()


def test_a_worker_process_takes_its_stage_times_from_the_profile(
    database_url: str, store: SqlStore, tmp_path: Path
) -> None:
    path = tmp_path / "rough.toml"
    path.write_text(PROFILE)
    server = Server(database_url, tmp_path / "data", "--no-worker").start()
    command = [sys.executable, "-m", "storeflight", "worker", "--database-url", database_url]
    worker = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "data"), "--log-level", "warning", "--rough-edges", str(path)]
    )
    try:
        http, app_id = _client(store, server)
        sid = _commit_one(http, app_id)
        assert _wait_status(http, app_id, sid, {"Published"}) == "Published"
        assert time_in(store, sid, "PreProcessing") >= 1.5  # 30 min x 0.001, less the commit checks' own time
    finally:
        worker.terminate()
        worker.wait(20)
        server.stop()


def time_in(store: SqlStore, submission_id: str, status: str) -> float:
    events = tables.submission_events.c
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(events.to_status, events.at).where(events.submission_id == submission_id)))
    moves = {row[0]: row[1] for row in rows}
    following = {"PreProcessing": "Certification"}[status]
    return float((moves[following] - moves[status]).total_seconds())


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unusable_profile_stops_the_command_with_a_clear_message(command: str, tmp_path: Path) -> None:

    path = tmp_path / "rough.toml"
    path.write_text("[unavailable]\nrate = 3\n")
    args = [sys.executable, "-m", "storeflight", command, "--data-dir", str(tmp_path), "--rough-edges", str(path)]
    run = subprocess.run(args, check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "unavailable.rate" in run.stderr and "Traceback" not in run.stderr
