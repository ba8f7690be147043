"""kill -9 of a real `storeflight worker` in the middle of a plan: after a restart every step happens once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from storeflight.domain import dates
from storeflight.services import admin
from tests.plans.support import force_rollout
from tests.support import ServeProcess, open_store

STEPS = [{"percentage": p, "hold": "duration", "seconds": 1} for p in (5, 10, 20, 40, 60, 80)]


def _worker(data_dir: Path) -> subprocess.Popen[bytes]:
    args = [
        "worker",
        "--data-dir",
        str(data_dir),
        "--lease-seconds",
        "2",
        "--plan-poll",
        "0.2",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen([sys.executable, "-m", "storeflight", *args])


def _setup(server: ServeProcess) -> tuple[httpx.Client, str, str]:
    tenant_id, client_id, secret = server.tenant_client()
    store = open_store(f"sqlite:///{server.data_dir / 'storeflight.db'}")
    try:
        with store.transaction(write=True) as tx:
            app = admin.create_app(
                tx,
                tenant_id=tenant_id,
                name="Killed",
                identity_name="Contoso.Killed",
                publisher="CN=Contoso",
                now=dates.utcnow(),
            )
        http = httpx.Client(
            base_url=f"{server.url}/v1.0/my/",
            headers={"Authorization": f"Bearer {server.token(tenant_id, client_id, secret)}"},
            timeout=30,
        )
        sub_id = str(http.post(f"applications/{app.id}/submissions").json()["id"])
        force_rollout(store, tenant_id, app.id, sub_id)
    finally:
        store.close()
    return http, app.id, sub_id


def _events(http: httpx.Client, path: str) -> list[dict[str, Any]]:
    body = http.get(path).json()
    return [e for e in body["events"] if e["action"] in ("plan.step", "plan.finalize")]


def test_a_worker_killed_mid_plan_never_repeats_or_skips_a_step(tmp_path: Path) -> None:
    with ServeProcess(tmp_path) as server:
        http, app_id, sub_id = _setup(server)
        path = f"applications/{app_id}/submissions/{sub_id}/rolloutplan"
        assert http.put(path, json={"steps": STEPS}).status_code == 201
        kills = 0
        worker = _worker(tmp_path)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = len(_events(http, path))
                if done == len(STEPS) + 1:
                    break
                if done >= 2 * (kills + 1) and kills < 3:  # kill -9 three times, mid-plan
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                    kills += 1
                    worker = _worker(tmp_path)
                time.sleep(0.05)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        events = _events(http, path)
        assert kills == 3
        assert [e["percentage"] for e in events] == [s["percentage"] for s in STEPS] + [100]
        assert [e["step"] for e in events] == list(range(len(STEPS) + 1))
        plan = http.get(path).json()
        assert plan["status"] == "completed"
        assert (
            http.get(f"applications/{app_id}/submissions/{sub_id}/packagerollout").json()["packageRolloutStatus"]
            == "PackageRolloutComplete"
        )
