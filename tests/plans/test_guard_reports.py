"""The health guard on real device reports: devices post events over the device endpoint, the plan worker
reads the rollout cohort against the fallback cohort and halts (with its numbers) or advances."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker
from storeflight.telemetry.cohort import Cohort, place
from tests.http.test_delivery import app, flight_rollout, worker  # noqa: F401 - fixtures
from tests.http.test_rollout_health import snapshot_of
from tests.plans.support import drain
from tests.support import Tenant

MEMBERS = [f"device{i}@example.com" for i in range(160)]
LAUNCHES = 100  # per device
# Crashes per launch only: each device installs once, so update failures would need 400 devices per cohort.
GUARD = {"metrics": ["crashRate"], "margin": 0.5, "minSample": 400, "thresholds": []}


def _key(tenant: Tenant, app_id: str) -> str:
    with tenant.server.store.transaction(write=True) as tx:
        _, secret = service.create_key(
            tx, tenant.tenant_id, app_id, name="fleet", now=dates.utcnow(), rate_per_minute=100_000, by=ADMIN
        )
    return secret


def _events(device: int, version: str, crashes: int) -> list[dict[str, Any]]:
    events = [{"id": f"{device}-i", "type": "installed", "version": version}]
    events += [{"id": f"{device}-l{n}", "type": "launched", "version": version} for n in range(LAUNCHES)]
    events += [{"id": f"{device}-c{n}", "type": "crashed", "version": version} for n in range(crashes)]
    return events


def _report_fleet(tenant: Tenant, app_id: str, rollout_crashes: int, fallback_crashes: int) -> dict[Cohort, int]:
    """Every member reports over the device endpoint on the version delivery gives it; devices per cohort."""
    snapshot, secret = snapshot_of(tenant, app_id), _key(tenant, app_id)
    url = f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    placed: dict[Cohort, int] = {}
    for i, member in enumerate(MEMBERS):
        cohort = place(snapshot.app, member, snapshot.groups(member)).cohort
        placed[cohort] = placed.get(cohort, 0) + 1
        inside = cohort == Cohort.ROLLOUT
        version, crashes = ("2.0.0.0", rollout_crashes) if inside else ("1.2.3.0", fallback_crashes)
        answer = httpx.post(
            url,
            json={"events": _events(i, version, crashes)},
            headers={"Authorization": f"Bearer {secret}"},
            params={"customerId": member},
        )
        assert answer.status_code == 200 and answer.json()["refused"] == [], answer.text
    return placed


@pytest.fixture
def planned(tenant: Tenant, app: str, worker: Worker) -> str:  # noqa: F811
    """A flight submission rolled out to 50% of MEMBERS with a guarded plan attached; its path."""
    url = flight_rollout(tenant, app, worker, MEMBERS, 50.0)
    steps = [{"percentage": 50, "hold": "guard"}, {"percentage": 100, "hold": "duration", "seconds": 0}]
    answer = tenant.http.put(f"{url}/rolloutplan", json={"steps": steps, "guard": GUARD})
    assert answer.status_code == 201, answer.text
    return url


def test_the_guard_halts_a_release_that_crashes_more_on_device_reports(
    tenant: Tenant,
    app: str,  # noqa: F811
    planned: str,
) -> None:
    url = planned
    placed = _report_fleet(tenant, app, rollout_crashes=15, fallback_crashes=5)  # 15% vs 5% of launches
    assert placed[Cohort.ROLLOUT] > 40 and placed[Cohort.FALLBACK] > 40
    drain(tenant.server.store)
    plan = tenant.http.get(f"{url}/rolloutplan").json()
    assert plan["status"] == "halted", plan
    rollout = tenant.http.get(f"{url}/packagerollout").json()
    assert rollout["packageRolloutStatus"] == "PackageRolloutStopped"
    (halt,) = [e for e in plan["events"] if e["action"] == "plan.guard_halt"]
    crash = next(c for c in halt["checks"] if c["metric"] == "crashRate")
    assert crash["rollout"]["trials"] == placed[Cohort.ROLLOUT] * LAUNCHES
    assert crash["fallback"]["trials"] == placed[Cohort.FALLBACK] * LAUNCHES
    assert crash["outcome"] == "halt"


def test_the_guard_advances_an_equal_release_once_it_has_enough_reports(
    tenant: Tenant,
    app: str,  # noqa: F811
    planned: str,
) -> None:
    url = planned
    drain(tenant.server.store)
    held = tenant.http.get(f"{url}/rolloutplan").json()
    assert (held["status"], held["currentStep"]) == ("running", 0)  # no reports yet: the guard holds
    _report_fleet(tenant, app, rollout_crashes=5, fallback_crashes=5)  # 5% on both sides
    drain(tenant.server.store, now=dates.utcnow() + timedelta(minutes=2))  # a held plan is looked at every minute
    plan = tenant.http.get(f"{url}/rolloutplan").json()
    assert plan["status"] == "completed", plan
    assert tenant.http.get(f"{url}/packagerollout").json()["packageRolloutStatus"] == "PackageRolloutComplete"
