"""An end-to-end fleet: 10,000 simulated devices ask over HTTP with a delivery key while a flight's rollout goes
from 25% to 60%; a sample of them updates, verifies and reports through the reference updater. The versions
they end on follow the rollout rules exactly, and the health numbers the API reports are what the fleet sent.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from storeflight.audit.record import ADMIN
from storeflight.client.updater import DeviceEndpoint, Updater
from storeflight.delivery.bucket import bucket, threshold
from storeflight.devices import service
from storeflight.devices.model import MAX_RATE
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker
from tests.http.test_delivery import DEVICE, app, flight_rollout, worker  # noqa: F401 - fixtures
from tests.support import Tenant

FLEET = 10_000
SAMPLE = 250
OLD, NEW = "1.2.3.0", "2.0.0.0"


def _ask_all(base: str, key: str, customers: list[str], installed: dict[str, str]) -> dict[str, str | None]:
    """Every device's decision over HTTP (four connections): customer -> the version it is offered."""

    def ask(chunk: list[str]) -> list[tuple[str, str | None]]:
        found = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            for customer in chunk:
                params = {**DEVICE, "customerId": customer, "installedVersion": installed.get(customer, OLD)}
                answer = http.get("decision", params=params)
                assert answer.status_code == 200, answer.text
                packages = answer.json()["packages"]
                found.append((customer, packages[0]["version"] if packages else None))
        return found

    chunks = [customers[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        return dict(pair for part in pool.map(ask, chunks) for pair in part)


class Fleet:
    """The sample's updaters, and what they reported, per cohort, counted on this side."""

    def __init__(self, server: str, app_id: str, key: str, customers: list[str], folder: Path) -> None:
        self.updaters = {
            c: Updater(DeviceEndpoint.with_key(server, app_id, key, c), folder / str(i), installed_version=OLD)
            for i, c in enumerate(customers)
        }
        self.sent: dict[str, Counter[str]] = {}
        self.cohort_of: dict[str, str] = {}

    def run(self, inside: dict[str, bool]) -> None:
        for n, (customer, updater) in enumerate(self.updaters.items()):
            cohort = "rollout" if inside[customer] else "fallback"
            outcome = updater.update()
            assert outcome.error is None, outcome.error
            counts = self.sent.setdefault(cohort, Counter())
            counts["installs"] += outcome.offer is not None
            updater.event("launched")
            updater.event("launched")
            updater.event("heartbeat")
            counts.update(launches=2, heartbeats=1)
            if n % 10 == 0:
                updater.event("crashed")
                counts["crashes"] += 1
            batch = list(updater.pending)
            answer = updater.report()
            assert answer is not None and answer["accepted"] == len(batch), answer
            if n % 25 == 0:  # a lost answer: the device sends the same batch again, which counts nothing
                resent = updater.http.post(
                    updater._url("reports"),
                    json={"events": batch},
                    params=updater.endpoint.params,
                    headers=updater.endpoint.headers,
                )
                assert resent.json() == {"accepted": 0, "duplicates": len(batch), "refused": []}
            self.cohort_of[customer] = cohort


def test_a_fleet_follows_the_rollout_and_the_health_numbers_match(
    tenant: Tenant,
    app: str,  # noqa: F811
    worker: Worker,  # noqa: F811
    tmp_path: Path,
) -> None:
    customers = [f"device-{i:05d}@fleet.example" for i in range(FLEET)]
    url = flight_rollout(tenant, app, worker, customers, 25.0)
    flight_id, sub_id = url.split("/")[3], url.split("/")[-1]
    with tenant.server.store.transaction(write=True) as tx:
        submission = tx.get_submission(tenant.tenant_id, sub_id)
        _, key = service.create_key(
            tx, tenant.tenant_id, app, name="fleet", now=dates.utcnow(), rate_per_minute=MAX_RATE, by=ADMIN
        )
    assert submission is not None
    seed = submission.rollout_seed or submission.id
    positions = {c: bucket(c, seed) for c in customers}
    base = f"{tenant.server.url}/devices/v1/apps/{app}/"
    sample = customers[:: FLEET // SAMPLE]
    fleet = Fleet(tenant.server.url, app, key, sample, tmp_path)
    installed: dict[str, str] = {}
    for percentage in (25.0, 60.0):
        if percentage != 25.0:
            answer = tenant.http.post(f"{url}/updatepackagerolloutpercentage", params={"percentage": percentage})
            assert answer.status_code == 200, answer.text
        tenant.server.state.delivery.refresh()
        inside = {c: positions[c] < threshold(percentage) for c in customers}
        offered = _ask_all(base, key, customers, installed)
        assert offered == {c: NEW if inside[c] else OLD for c in customers}
        assert (
            0.2 < sum(inside.values()) / FLEET < 0.3
            if percentage == 25.0
            else 0.55 < sum(inside.values()) / FLEET < 0.65
        )
        fleet.run(inside)
        installed = {c: u.installed_version or OLD for c, u in fleet.updaters.items()}
        assert installed == {c: NEW if inside[c] else OLD for c in sample}
    health: dict[str, Any] = tenant.http.get(f"applications/{app}/flights/{flight_id}/rollouthealth").json()
    assert (health["submissionId"], health["packageRolloutPercentage"], health["devices"]) == (sub_id, 60.0, SAMPLE)
    cohorts = {c["cohort"]: c for c in health["cohorts"]}
    assert set(cohorts) == set(fleet.sent) == {"rollout", "fallback"}
    for name, sent in fleet.sent.items():
        got = cohorts[name]
        assert {k: got[k] for k in ("installs", "launches", "heartbeats", "crashes")} == {
            "installs": sent["installs"],
            "launches": sent["launches"],
            "heartbeats": sent["heartbeats"],
            "crashes": sent["crashes"],
        }
        assert got["devices"] == Counter(fleet.cohort_of.values())[name]
        assert got["crashRate"] == sent["crashes"] / sent["launches"]
        assert got["updateFailures"] == 0
    adoption = {a["version"]: a["devices"] for a in health["adoption"]}
    assert adoption == dict(Counter(installed.values()))
