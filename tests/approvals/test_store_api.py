"""Approval rules against the real Store API on a live server: the 409 that names the rule and the pending
change, approving (never one's own change), changing a pending change, rejecting, tenants kept apart."""

from __future__ import annotations

from typing import Any

from storeflight.audit.model import AuditFilter
from tests.approvals.conftest import MakeClient, rolling_submission
from tests.support import Tenant, new_tenant


def _rule(tenant: Tenant, app_id: str, **body: Any) -> dict[str, Any]:
    response = tenant.http.post(f"applications/{app_id}/approvalrules", json=body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def _percentage(tenant: Tenant, base: str) -> float:
    return float(tenant.http.get(f"{base}/packagerollout").json()["packageRolloutPercentage"])


def _refused(tenant: Tenant, base: str, action: str) -> dict[str, Any]:
    response = tenant.http.post(f"{base}/{action}")
    assert response.status_code == 409, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "data", "details", "message", "source", "target"}  # the Store's error shape
    assert body["code"] == "InvalidState"
    return body


def _change_id(body: dict[str, Any]) -> str:
    return next(d.split("=", 1)[1] for d in body["details"] if d.startswith("pendingChange="))


def test_a_guarded_raise_is_refused_naming_the_rule_and_applied_once_approved(
    tenant: Tenant, app_id: str, colleague: MakeClient
) -> None:
    rule = _rule(tenant, app_id, action="rollout", abovePercentage=50, role="release")
    _, base = rolling_submission(tenant, app_id)
    assert tenant.http.post(f"{base}/updatepackagerolloutpercentage?percentage=40").status_code == 200  # below it

    body = _refused(tenant, base, "updatepackagerolloutpercentage?percentage=80")
    change_id = _change_id(body)
    assert rule["id"] in body["message"] and change_id in body["message"]
    assert f"rule={rule['id']}" in body["details"]
    assert _percentage(tenant, base) == 40.0  # nothing changed

    change = tenant.http.get(f"pendingchanges/{change_id}").json()
    assert change["status"] == "pending" and change["parameters"] == {"percentage": 80.0}
    assert change["requestedBy"] == tenant.client_id and change["missing"] == [{"role": "release", "approvals": 1}]
    listed = tenant.http.get("pendingchanges", params={"status": "pending"}).json()
    assert [c["id"] for c in listed["value"]] == [change_id]

    outsider = colleague("qa")  # holds no role the rule needs
    assert outsider.http.post(f"pendingchanges/{change_id}/approve").status_code == 403
    approved = colleague("release").http.post(f"pendingchanges/{change_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "applied"
    assert _percentage(tenant, base) == 80.0
    assert tenant.http.post(f"pendingchanges/{change_id}/approve").status_code == 409  # decided
    with tenant.server.store.transaction(write=False) as tx:
        history = tx.list_audit(tenant.tenant_id, AuditFilter(resource_type="pendingchange"), skip=0, top=100)
    records = sorted(history.items, key=lambda r: r.seq)
    assert [r.entry.action for r in records] == [
        "pendingchange.request",
        "pendingchange.approve",
        "pendingchange.apply",
    ]
    assert {r.entry.resource_id for r in records} == {change_id}
    assert records[0].entry.actor.id == tenant.client_id and records[2].entry.after["status"] == "applied"


def test_halting_is_never_guarded(tenant: Tenant, app_id: str) -> None:
    _rule(tenant, app_id, action="rollout", abovePercentage=0)
    _rule(tenant, app_id, action="finalize")
    _, base = rolling_submission(tenant, app_id)
    assert tenant.http.post(f"{base}/haltpackagerollout").status_code == 200


def test_the_requester_cannot_approve_their_own_change_unless_the_rule_says_so(
    tenant: Tenant, app_id: str, colleague: MakeClient
) -> None:
    _rule(tenant, app_id, action="finalize", role="release")
    tenant_with_role = colleague("release")
    _, base = rolling_submission(tenant_with_role, app_id)
    change_id = _change_id(_refused(tenant_with_role, base, "finalizepackagerollout"))
    own = tenant_with_role.http.post(f"pendingchanges/{change_id}/approve")
    assert own.status_code == 403 and "own change" in own.json()["message"]
    assert _percentage(tenant, base) == 25.0

    lenient_app = tenant.create_app()
    _rule(tenant, lenient_app, action="finalize", role="release", allowSelfApproval=True)
    _, other = rolling_submission(tenant_with_role, lenient_app)
    second = _change_id(_refused(tenant_with_role, other, "finalizepackagerollout"))
    assert tenant_with_role.http.post(f"pendingchanges/{second}/approve").json()["status"] == "applied"
    assert tenant.http.get(f"{other}/packagerollout").json()["packageRolloutStatus"] == "PackageRolloutComplete"


def test_changing_a_pending_change_clears_its_approvals(tenant: Tenant, app_id: str, colleague: MakeClient) -> None:
    _rule(tenant, app_id, action="rollout", abovePercentage=50, approvals=2)
    _, base = rolling_submission(tenant, app_id)
    change_id = _change_id(_refused(tenant, base, "updatepackagerolloutpercentage?percentage=70"))
    first = colleague().http.post(f"pendingchanges/{change_id}/approve").json()
    assert len(first["approvals"]) == 1 and first["status"] == "pending"

    again = _refused(tenant, base, "updatepackagerolloutpercentage?percentage=70")  # the same request
    assert _change_id(again) == change_id
    assert len(tenant.http.get(f"pendingchanges/{change_id}").json()["approvals"]) == 1  # kept

    revised = tenant.http.patch(f"pendingchanges/{change_id}", json={"percentage": 90}).json()
    assert revised["approvals"] == [] and revised["revision"] == 2 and revised["parameters"] == {"percentage": 90.0}
    _refused(tenant, base, "updatepackagerolloutpercentage?percentage=95")  # another percentage through the Store API
    assert tenant.http.get(f"pendingchanges/{change_id}").json()["revision"] == 3

    one, two = colleague(), colleague()
    assert one.http.post(f"pendingchanges/{change_id}/approve").json()["status"] == "pending"
    assert two.http.post(f"pendingchanges/{change_id}/approve").json()["status"] == "applied"
    assert _percentage(tenant, base) == 95.0


def test_a_guarded_flight_commit_waits_and_runs_once_approved(
    tenant: Tenant, app_id: str, colleague: MakeClient
) -> None:
    _rule(tenant, app_id, action="commit")
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}"
    change_id = _change_id(_refused(tenant, base, "commit"))
    assert tenant.http.get(f"{base}/status").json()["status"] == "PendingCommit"
    assert colleague().http.post(f"pendingchanges/{change_id}/approve").json()["status"] == "applied"
    assert tenant.http.get(f"{base}/status").json()["status"] != "PendingCommit"


def test_rejected_changes_stay_rejected(tenant: Tenant, app_id: str, colleague: MakeClient) -> None:
    _rule(tenant, app_id, action="finalize", role="release")
    _, base = rolling_submission(tenant, app_id)
    change_id = _change_id(_refused(tenant, base, "finalizepackagerollout"))
    assert colleague().http.post(f"pendingchanges/{change_id}/reject").status_code == 403  # no role
    rejected = colleague("release").http.post(f"pendingchanges/{change_id}/reject", json={"reason": "not yet"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "not yet"
    assert colleague("release").http.post(f"pendingchanges/{change_id}/approve").status_code == 409
    assert _percentage(tenant, base) == 25.0
    assert _change_id(_refused(tenant, base, "finalizepackagerollout")) != change_id  # asking again: a new change


def test_another_tenant_sees_neither_rules_nor_pending_changes(tenant: Tenant, app_id: str) -> None:
    rule = _rule(tenant, app_id, action="finalize")
    _, base = rolling_submission(tenant, app_id)
    change_id = _change_id(_refused(tenant, base, "finalizepackagerollout"))
    other = new_tenant(tenant.server)
    assert other.http.get(f"applications/{app_id}/approvalrules").status_code == 404
    assert other.http.get(f"applications/{app_id}/approvalrules/{rule['id']}").status_code == 404
    assert other.http.post(f"applications/{app_id}/approvalrules", json={"action": "commit"}).status_code == 404
    assert other.http.get(f"pendingchanges/{change_id}").status_code == 404
    assert other.http.post(f"pendingchanges/{change_id}/approve").status_code == 404
    assert other.http.post(f"pendingchanges/{change_id}/reject").status_code == 404
    assert other.http.get("pendingchanges").json()["totalCount"] == 0
    assert tenant.http.get(f"pendingchanges/{change_id}").json()["status"] == "pending"


def test_rules_crud_and_bad_input(tenant: Tenant, app_id: str) -> None:
    rule = _rule(tenant, app_id, action="rollout", abovePercentage=20, approvals=2, role="qa", expiresAfterHours=4)
    assert rule["expiresAfterHours"] == 4 and rule["flightId"] is None
    url = f"applications/{app_id}/approvalrules/{rule['id']}"
    replaced = tenant.http.put(url, json={"action": "publish", "approvals": 3}).json()
    assert replaced["action"] == "publish" and replaced["approvals"] == 3 and replaced["abovePercentage"] is None
    assert tenant.http.get(f"applications/{app_id}/approvalrules").json()["totalCount"] == 1
    for bad in (
        {"action": "rollout"},  # no threshold
        {"action": "commit", "abovePercentage": 5},
        {"action": "nope"},
        {"action": "commit", "approvals": 0},
        {"action": "commit", "role": "a b"},
        {"action": "commit", "unknown": 1},
        [1],
    ):
        response = tenant.http.post(f"applications/{app_id}/approvalrules", json=bad)
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["code"] == "InvalidParameterValue"
    flight_rule = tenant.http.post(f"applications/{app_id}/approvalrules", json={"action": "commit", "flightId": "x"})
    assert flight_rule.status_code == 404  # no such flight
    assert tenant.http.delete(url).status_code == 200
    assert tenant.http.get(url).status_code == 404
