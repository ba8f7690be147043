"""The audit history over real HTTP: what each change records, filters, paging, export, tenant isolation."""

from __future__ import annotations

import itertools
import json
from typing import Any

from storeflight.audit.model import GENESIS, canonical, verify
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import PackageRollout, RolloutStatus
from tests.support import Tenant, force_state, new_tenant


def history(tenant: Tenant, **query: Any) -> dict[str, Any]:
    response = tenant.http.get("history", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_flights_life_is_recorded_with_actor_and_correlation_id(tenant: Tenant, app_id: str) -> None:
    group = tenant.create_group(["a@example.com"])
    created = tenant.http.post(f"applications/{app_id}/flights", json={"friendlyName": "beta", "groupIds": [group]})
    assert created.status_code == 201
    flight = created.json()["flightId"]
    renamed = tenant.http.put(f"applications/{app_id}/flights/{flight}", json={"friendlyName": "gamma"})
    assert renamed.status_code == 200
    assert tenant.http.delete(f"applications/{app_id}/flights/{flight}").status_code == 204

    records = history(tenant, resourceType="flight", resourceId=flight)["value"]
    assert [r["action"] for r in records] == ["flight.delete", "flight.update", "flight.create"]
    create, update, delete = reversed(records)
    assert create["before"] is None and create["after"]["friendlyName"] == "beta"
    assert update["before"]["friendlyName"] == "beta" and update["after"]["friendlyName"] == "gamma"
    assert delete["after"] is None and delete["before"]["friendlyName"] == "gamma"
    assert {r["actor"]["kind"] for r in records} == {"client"}
    assert {r["actor"]["id"] for r in records} == {tenant.client_id}
    assert update["correlationId"] == renamed.headers["ms-correlationid"]
    admin_made = history(tenant, resourceType="group", resourceId=group)["value"]
    assert [(r["action"], r["actor"]["kind"]) for r in admin_made] == [("group.create", "admin")]


def test_submissions_rollouts_and_members_are_recorded(tenant: Tenant, app_id: str) -> None:
    group = tenant.http.post(
        "flightgroups", json={"name": "g", "members": ["ann@example.com", "bob@example.com"]}
    ).json()["id"]
    changed = tenant.http.post(
        f"flightgroups/{group}/members",
        json={"add": ["cy@example.com", "di@example.com"], "remove": ["ann@example.com"]},
    )
    assert changed.status_code == 200
    members = history(tenant, resourceId=group, action="group.members")["value"]
    assert members[0]["before"] == {"memberCount": 2}
    assert members[0]["after"] == {"memberCount": 3, "added": 2, "removed": 1}
    assert "example.com" not in json.dumps(members)  # counted, never listed

    sub = tenant.http.post(f"applications/{app_id}/submissions").json()["id"]
    body = {"notesForCertification": "hello", "packageDeliveryOptions": {"packageRollout": {"isPackageRollout": True}}}
    assert tenant.http.put(f"applications/{app_id}/submissions/{sub}", json=body).status_code == 200
    with tenant.server.store.transaction(write=False) as tx:
        current = tx.get_submission(tenant.tenant_id, sub)
    assert current is not None
    rollout = PackageRollout(is_package_rollout=True, percentage=10.0, status=RolloutStatus.IN_PROGRESS)
    delivery = current.delivery.model_copy(update={"rollout": rollout})
    force_state(tenant.server, tenant, sub, status=Status.PUBLISHED, delivery=delivery)
    raised = tenant.http.post(f"applications/{app_id}/submissions/{sub}/updatepackagerolloutpercentage?percentage=25")
    assert raised.status_code == 200, raised.text
    records = list(reversed(history(tenant, resourceType="submission", resourceId=sub)["value"]))
    assert [r["action"] for r in records] == ["submission.create", "submission.update", "rollout.update"]
    assert records[1]["after"]["notesForCertification"] == "hello"
    assert records[2]["after"]["packageRolloutPercentage"] == 25.0
    assert "sig=" not in json.dumps(records) and "fileUploadUrl" not in json.dumps(records)


def test_filters_pages_and_next_link(tenant: Tenant) -> None:
    ids = [tenant.http.post("flightgroups", json={"name": f"g{i}"}).json()["id"] for i in range(5)]
    first = history(tenant, resourceType="group", actorKind="client", top=2)
    assert first["totalCount"] == 5
    assert [r["resourceId"] for r in first["value"]] == [ids[4], ids[3]]
    assert first["@nextLink"].startswith("history?")
    second = tenant.http.get(first["@nextLink"]).json()
    assert [r["resourceId"] for r in second["value"]] == [ids[2], ids[1]]
    everything = history(tenant, top=100)["value"]
    newest = everything[0]["at"]
    assert history(tenant, since=newest)["totalCount"] >= 1
    assert history(tenant, until=everything[-1]["at"])["totalCount"] == 0
    assert history(tenant, actor="someone-else")["totalCount"] == 0


def test_bad_filters_are_refused_in_the_stores_shape(tenant: Tenant) -> None:
    for query in ({"resourceType": "planet"}, {"actorKind": "robot"}, {"since": "yesterday"}, {"top": "0"}):
        response = tenant.http.get("history", params=query)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["code"] == "InvalidParameterValue"


def test_another_tenants_resource_is_not_found(tenant: Tenant, app_id: str) -> None:
    group = tenant.http.post("flightgroups", json={"name": "mine"}).json()["id"]
    other = new_tenant(tenant.server)
    assert other.http.get("history", params={"resourceId": group}).status_code == 404
    assert other.http.get("history/export", params={"resourceId": group}).status_code == 404
    own = history(other)["value"]  # only the admin's creation of its own client
    assert [(r["action"], r["resourceId"]) for r in own] == [("client.create", other.client_id)]
    assert "secret" not in json.dumps(own).lower()
    assert history(tenant, resourceId=group)["totalCount"] == 1
    assert tenant.http.get("history").status_code == 200
    assert tenant.http.get("history", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_export_is_the_verifiable_chain_as_json_lines(tenant: Tenant, app_id: str) -> None:
    for i in range(3):
        tenant.http.post("flightgroups", json={"name": f"e{i}"})
    response = tenant.http.get("history/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [r["seq"] for r in lines] == list(range(1, len(lines) + 1))
    assert lines[0]["prevHash"] == GENESIS
    assert all(b["prevHash"] == a["hash"] for a, b in itertools.pairwise(lines))
    assert response.text.splitlines()[0] == canonical(lines[0])
    groups_only = tenant.http.get("history/export", params={"resourceType": "group"}).text.splitlines()
    assert len(groups_only) == 3
    with tenant.server.store.transaction(write=False) as tx:
        records = tx.audit_after(tenant.tenant_id, 0, 1000)
    assert verify(tenant.tenant_id, records) == (len(lines), None)
