"""Rollout plans over real HTTP, on both backends: attach, read, steps by the worker, pause/resume/skip/approve/
abort, what a manual Store rollout call does to a live plan, errors in the Store's shape, tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storeflight.audit.model import AuditFilter
from storeflight.domain import dates
from tests.plans.support import STEPS, drain, in_progress
from tests.support import Tenant, new_tenant


def _plan(tenant: Tenant, app_id: str, sub_id: str) -> dict[str, Any]:
    response = tenant.http.get(f"applications/{app_id}/submissions/{sub_id}/rolloutplan")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _attach(tenant: Tenant, app_id: str, sub_id: str, steps: list[dict[str, Any]] = STEPS) -> dict[str, Any]:
    response = tenant.http.put(f"applications/{app_id}/submissions/{sub_id}/rolloutplan", json={"steps": steps})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _verb(tenant: Tenant, app_id: str, sub_id: str, verb: str) -> Any:
    return tenant.http.post(f"applications/{app_id}/submissions/{sub_id}/rolloutplan/{verb}")


def _rollout(tenant: Tenant, app_id: str, sub_id: str) -> dict[str, Any]:
    body: dict[str, Any] = tenant.http.get(f"applications/{app_id}/submissions/{sub_id}/packagerollout").json()
    return body


def test_a_plan_walks_its_steps_with_the_worker(tenant: Tenant, app_id: str) -> None:
    sub_id = in_progress(tenant, app_id)
    before = _rollout(tenant, app_id, sub_id)
    created = _attach(tenant, app_id, sub_id)
    assert (created["status"], created["currentStep"], created["stepApplied"]) == ("running", 0, False)
    drain(tenant.server.store)
    plan = _plan(tenant, app_id, sub_id)
    assert (plan["currentStep"], plan["stepApplied"], plan["packageRolloutPercentage"]) == (1, True, 40)
    rollout = _rollout(tenant, app_id, sub_id)
    assert set(rollout) == set(before)  # the Store's body: same fields, nothing of the plan
    assert rollout["packageRolloutPercentage"] == 40
    assert _verb(tenant, app_id, sub_id, "approve").status_code == 200
    drain(tenant.server.store)
    assert _rollout(tenant, app_id, sub_id)["packageRolloutPercentage"] == 70
    drain(tenant.server.store, now=dates.utcnow() + timedelta(hours=2))
    plan = _plan(tenant, app_id, sub_id)
    assert plan["status"] == "completed"
    assert _rollout(tenant, app_id, sub_id)["packageRolloutStatus"] == "PackageRolloutComplete"
    steps = [(e["action"], e["percentage"]) for e in plan["events"] if e["action"] in ("plan.step", "plan.finalize")]
    assert steps == [("plan.step", 10), ("plan.step", 40), ("plan.step", 70), ("plan.finalize", 100)]
    assert all(e["actor"].startswith("server:") for e in plan["events"] if e["action"] == "plan.step")
    with tenant.server.store.transaction(write=False) as tx:
        records = [r.entry for r in tx.list_audit(tenant.tenant_id, AuditFilter(), skip=0, top=100).items]
    actions = [r.action for r in records if r.resource_type == "rollout_plan"]
    assert actions.count("plan.step") == 3 and "plan.finalize" in actions and "plan.create" in actions
    assert any(r.actor.kind.value == "server" and r.reason for r in records if r.action == "plan.step")


def test_pause_resume_skip_and_abort(tenant: Tenant, app_id: str) -> None:
    sub_id = in_progress(tenant, app_id)
    _attach(tenant, app_id, sub_id)
    drain(tenant.server.store)
    paused = _verb(tenant, app_id, sub_id, "pause").json()
    assert paused["status"] == "paused" and paused["nextRunAt"] is None
    assert _verb(tenant, app_id, sub_id, "pause").status_code == 200  # pausing again: still paused
    assert _verb(tenant, app_id, sub_id, "resume").json()["status"] == "running"
    assert _verb(tenant, app_id, sub_id, "resume").status_code == 409
    skipped = _verb(tenant, app_id, sub_id, "skip").json()
    assert (skipped["currentStep"], skipped["stepApplied"]) == (2, False)
    drain(tenant.server.store)
    assert _rollout(tenant, app_id, sub_id)["packageRolloutPercentage"] == 70
    aborted = _verb(tenant, app_id, sub_id, "abort")
    assert aborted.status_code == 200 and aborted.json()["status"] == "halted"
    rollout = _rollout(tenant, app_id, sub_id)
    assert (rollout["packageRolloutStatus"], rollout["packageRolloutPercentage"]) == ("PackageRolloutStopped", 0)
    again = _verb(tenant, app_id, sub_id, "resume")
    assert again.status_code == 409 and again.json()["code"] == "InvalidState"


def test_a_manual_percentage_change_pauses_the_plan_and_a_manual_halt_ends_it(tenant: Tenant, app_id: str) -> None:
    sub_id = in_progress(tenant, app_id)
    _attach(tenant, app_id, sub_id)
    drain(tenant.server.store)
    base = f"applications/{app_id}/submissions/{sub_id}"
    changed = tenant.http.post(f"{base}/updatepackagerolloutpercentage", params={"percentage": 55})
    assert changed.status_code == 200 and changed.json()["packageRolloutPercentage"] == 55
    plan = _plan(tenant, app_id, sub_id)
    assert plan["status"] == "paused" and "55%" in plan["reason"]
    drain(tenant.server.store)
    assert _rollout(tenant, app_id, sub_id)["packageRolloutPercentage"] == 55  # the worker leaves it alone
    assert tenant.http.post(f"{base}/haltpackagerollout").status_code == 200
    assert _plan(tenant, app_id, sub_id)["status"] == "halted"


def test_a_manual_finalize_completes_the_plan(tenant: Tenant, app_id: str) -> None:
    sub_id = in_progress(tenant, app_id)
    _attach(tenant, app_id, sub_id)
    assert tenant.http.post(f"applications/{app_id}/submissions/{sub_id}/finalizepackagerollout").status_code == 200
    assert _plan(tenant, app_id, sub_id)["status"] == "completed"


def test_bad_requests_get_store_shaped_errors(tenant: Tenant, app_id: str) -> None:
    sub_id = in_progress(tenant, app_id)
    path = f"applications/{app_id}/submissions/{sub_id}/rolloutplan"
    missing = tenant.http.get(path)
    assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFound"
    for body in ({"steps": []}, {"steps": [{"percentage": 50, "seconds": 1}, {"percentage": 5, "seconds": 1}]}, [1]):
        refused = tenant.http.put(path, json=body)
        assert refused.status_code == 400 and refused.json()["code"] == "InvalidParameterValue", refused.text
    _attach(tenant, app_id, sub_id)
    twice = tenant.http.put(path, json={"steps": STEPS})
    assert twice.status_code == 409 and twice.json()["code"] == "InvalidState"
    baseline = tenant.http.get(f"applications/{app_id}").json()["lastPublishedApplicationSubmission"]["id"]
    not_rolling = tenant.http.put(f"applications/{app_id}/submissions/{baseline}/rolloutplan", json={"steps": STEPS})
    assert not_rolling.status_code in (404, 409), not_rolling.text
    stranger = new_tenant(tenant.server)
    assert stranger.http.get(path).status_code == 404
    assert stranger.http.post(f"{path}/abort").status_code == 404
    assert _plan(tenant, app_id, sub_id)["status"] == "running"
