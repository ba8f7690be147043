"""Approval rules on rollout plans: attaching a plan, skipping a step or resuming one waits for approval;
pausing and aborting never do."""

from __future__ import annotations

from typing import Any

from tests.approvals.conftest import MakeClient
from tests.plans.support import in_progress
from tests.support import Tenant

STEPS = [{"percentage": 10, "hold": "approval"}, {"percentage": 50, "hold": "duration", "seconds": 3600}]


def _rule(tenant: Tenant, app_id: str) -> str:
    response = tenant.http.post(f"applications/{app_id}/approvalrules", json={"action": "plan", "role": "release"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _waits(response: Any, rule_id: str) -> str:
    """The Store-shaped 409 naming the rule; the pending change's id."""
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "InvalidState" and f"rule={rule_id}" in body["details"]
    return next(d.split("=", 1)[1] for d in body["details"] if d.startswith("pendingChange="))


def _approve(colleague: MakeClient, change_id: str) -> None:
    answer = colleague("release").http.post(f"pendingchanges/{change_id}/approve")
    assert answer.status_code == 200 and answer.json()["status"] == "applied", answer.text


def test_attaching_a_plan_waits_for_approval_and_is_attached_once_approved(
    tenant: Tenant, app_id: str, colleague: MakeClient
) -> None:
    rule_id = _rule(tenant, app_id)
    base = f"applications/{app_id}/submissions/{in_progress(tenant, app_id)}"
    change_id = _waits(tenant.http.put(f"{base}/rolloutplan", json={"steps": STEPS}), rule_id)
    assert tenant.http.get(f"{base}/rolloutplan").status_code == 404  # nothing attached yet
    change = tenant.http.get(f"pendingchanges/{change_id}").json()
    assert change["action"] == "plan" and change["parameters"]["operation"] == "attach"
    assert change["parameters"]["plan"]["steps"][0]["percentage"] == 10
    assert tenant.http.post(f"pendingchanges/{change_id}/approve").status_code == 403  # not one's own
    _approve(colleague, change_id)
    plan = tenant.http.get(f"{base}/rolloutplan").json()
    assert plan["status"] == "running" and [s["percentage"] for s in plan["plan"]["steps"]] == [10, 50]
    for kind, resource_id, action in [
        ("rollout_plan", plan["id"], "plan.create"),
        ("pendingchange", change_id, "pendingchange.apply"),
    ]:
        history = tenant.http.get("history", params={"resourceType": kind, "resourceId": resource_id})
        assert history.status_code == 200, history.text
        assert action in [r["action"] for r in history.json()["value"]]


def test_skip_and_resume_wait_for_approval_while_pause_and_abort_never_do(
    tenant: Tenant, app_id: str, colleague: MakeClient
) -> None:
    base = f"applications/{app_id}/submissions/{in_progress(tenant, app_id)}"
    assert tenant.http.put(f"{base}/rolloutplan", json={"steps": STEPS}).status_code == 201
    rule_id = _rule(tenant, app_id)  # a rule made after the plan guards its later changes
    change_id = _waits(tenant.http.post(f"{base}/rolloutplan/skip"), rule_id)
    assert tenant.http.get(f"{base}/rolloutplan").json()["currentStep"] == 0
    _approve(colleague, change_id)
    assert tenant.http.get(f"{base}/rolloutplan").json()["currentStep"] == 1
    assert tenant.http.post(f"{base}/rolloutplan/pause").status_code == 200
    _waits(tenant.http.post(f"{base}/rolloutplan/resume"), rule_id)
    assert tenant.http.get(f"{base}/rolloutplan").json()["status"] == "paused"
    assert tenant.http.post(f"{base}/rolloutplan/abort").status_code == 200
    assert tenant.http.get(f"{base}/rolloutplan").json()["status"] == "halted"
