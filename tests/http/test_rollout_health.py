"""GET .../rollouthealth over real HTTP: the numbers match what the devices reported, per cohort and version."""

from __future__ import annotations

from collections import Counter
from typing import Any

from storeflight.delivery.snapshot import Snapshot
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker
from storeflight.services.context import Caller, Context, load_app
from storeflight.services.reports import ingest
from storeflight.telemetry.cohort import place
from storeflight.telemetry.events import Event, Kind
from tests.http.test_delivery import app, flight_rollout, worker  # noqa: F401 - fixtures
from tests.support import Tenant, new_tenant


def snapshot_of(tenant: Tenant, app_id: str) -> Snapshot:
    cache = tenant.server.state.delivery
    cache.refresh()
    ctx = Context(caller=Caller(tenant.tenant_id, tenant.client_id))
    with tenant.server.store.transaction(write=False) as tx:
        return cache.get(tx, tenant.tenant_id, app_id, lambda: load_app(tx, ctx, app_id))


def _report(tenant: Tenant, snapshot: Snapshot, customer: str, events: list[Event]) -> None:
    with tenant.server.store.transaction(write=True) as tx:
        ingest(tx, snapshot, customer, events, dates.utcnow())


def test_health_of_a_flight_rollout_counts_per_cohort(tenant: Tenant, app: str, worker: Worker) -> None:  # noqa: F811
    members = [f"user{i}@example.com" for i in range(30)]
    url = flight_rollout(tenant, app, worker, members, 50.0)
    flight_id, sub_id = url.split("/")[3], url.split("/")[-1]
    snapshot = snapshot_of(tenant, app)
    expected: dict[str, Counter[str]] = {}
    for i, member in enumerate(members):
        cohort = place(snapshot.app, member, snapshot.groups(member)).cohort.value
        version = "2.0.0.0" if cohort == "rollout" else "1.2.3.0"
        events = [Event(f"{i}-i", Kind.INSTALLED, version), Event(f"{i}-l", Kind.LAUNCHED, version)]
        if i % 3 == 0:
            events.append(Event(f"{i}-c", Kind.CRASHED, version))
        if i % 5 == 0:
            events.append(Event(f"{i}-f", Kind.UPDATE_FAILED, version, error_code="0x80073CF3"))
        _report(tenant, snapshot, member, events)
        _report(tenant, snapshot, member, events)  # sent twice: counted once
        counts = expected.setdefault(cohort, Counter())
        counts.update({"devices": 1, "installs": 1, "launches": 1, "crashes": i % 3 == 0, "failures": i % 5 == 0})
    response = tenant.http.get(f"applications/{app}/flights/{flight_id}/rollouthealth")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["submissionId"], body["flightId"], body["packageRolloutPercentage"]) == (sub_id, flight_id, 50.0)
    assert body["devices"] == len(members)
    got = {c["cohort"]: c for c in body["cohorts"]}
    assert set(got) == set(expected) == {"rollout", "fallback"}
    for name, counts in expected.items():
        cohort = got[name]
        assert cohort["devices"] == counts["devices"] == cohort["deviceHours"]
        assert (cohort["installs"], cohort["launches"]) == (counts["installs"], counts["launches"])
        assert (cohort["crashes"], cohort["updateFailures"]) == (counts["crashes"], counts["failures"])
        assert cohort["crashRate"] == counts["crashes"] / counts["launches"]
        assert cohort["updateFailureRate"] == counts["failures"] / (counts["installs"] + counts["failures"])
    (rollout_version,) = got["rollout"]["versions"]
    assert (rollout_version["version"], rollout_version["submissionId"]) == ("2.0.0.0", sub_id)
    adoption = {a["version"]: a["devices"] for a in body["adoption"]}
    assert adoption == {"2.0.0.0": expected["rollout"]["devices"], "1.2.3.0": expected["fallback"]["devices"]}
    assert sum(s["installs"] for s in body["series"]) == len(members)
    non_flighted = tenant.http.get(f"applications/{app}/rollouthealth").json()
    assert (non_flighted["devices"], non_flighted["cohorts"]) == (0, [])  # the members count on the flight's line


def test_bad_questions_get_store_shaped_errors(tenant: Tenant, app: str) -> None:  # noqa: F811
    assert tenant.http.get(f"applications/{app}/rollouthealth", params={"hours": 0}).status_code == 400
    assert tenant.http.get(f"applications/{app}/rollouthealth", params={"hours": "x"}).status_code == 400
    missing = tenant.http.get(f"applications/{app}/flights/nope/rollouthealth")
    assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFound"
    assert tenant.http.get(f"applications/{app}/rollouthealth", params={"submissionId": "1"}).status_code == 404
    stranger = new_tenant(tenant.server)
    assert stranger.http.get(f"applications/{app}/rollouthealth").status_code == 404
    assert tenant.http.get(f"applications/{app}/rollouthealth", headers={"Authorization": ""}).status_code == 401
