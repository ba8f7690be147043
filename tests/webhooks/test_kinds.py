"""Every kind of event reaches the outbox from the use case that makes the change (on both backends): rollout
plans, approvals and the pipeline; read back through the delivery log."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from storeflight.domain import dates
from storeflight.domain.errors import ApprovalRequired
from storeflight.domain.rollout import RolloutAction
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.services import admin, rollout
from storeflight.services.context import Caller, Context
from storeflight.services.submissions import Parent
from tests.approvals.conftest import MakeClient, rolling_submission
from tests.plans.support import drain, in_progress
from tests.support import Tenant


def subscribe(tenant: Tenant, **extra: Any) -> str:
    created = tenant.http.post("webhooks", json={"url": "https://hooks.example.invalid/x", **extra})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def kinds(tenant: Tenant, hook_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(event type, data) of the webhook's deliveries, oldest first."""
    found = tenant.http.get(f"webhooks/{hook_id}/deliveries", params={"top": 100})
    assert found.status_code == 200, found.text
    deliveries = found.json()["value"][::-1]
    with tenant.server.store.transaction(write=False) as tx:
        page = tx.webhook_deliveries(hook_id, skip=0, top=100)
    data = {d.event.id: d.event.data for d in page.items}
    return [(d["eventType"], data[d["eventId"]]) for d in deliveries]


def test_plan_steps_pauses_resumes_and_an_abort(tenant: Tenant, app_id: str) -> None:
    hook = subscribe(tenant)
    sub = in_progress(tenant, app_id)
    path = f"applications/{app_id}/submissions/{sub}/rolloutplan"
    steps = [{"percentage": 10, "hold": "duration", "seconds": 0}, {"percentage": 40, "hold": "approval"}]
    assert tenant.http.put(path, json={"steps": steps}).status_code == 201
    drain(tenant.server.store)
    for verb in ("pause", "resume", "abort"):
        assert tenant.http.post(f"{path}/{verb}").status_code == 200, verb
    got = kinds(tenant, hook)
    assert [k for k, _ in got] == [
        "plan.step_advanced",
        "rollout.percentage_changed",
        "plan.step_advanced",
        "rollout.percentage_changed",
        "plan.paused",
        "plan.resumed",
        "plan.aborted",
        "rollout.halted",
    ]
    step = got[0][1]
    assert (step["submissionId"], step["applicationId"], step["automatic"]) == (sub, app_id, True)
    assert step["after"]["packageRolloutPercentage"] == 10 and "planId" in step
    halted = got[-1][1]
    assert halted["haltedBy"] == "person" and halted["automatic"] is False


def test_approvals_requested_refused_approved_and_expired(tenant: Tenant, app_id: str, colleague: MakeClient) -> None:
    hook = subscribe(tenant, eventTypes=["approval.requested", "approval.approved", "approval.refused"])
    expiring = subscribe(tenant, eventTypes=["approval.expired"], applicationId=app_id)
    _, base = rolling_submission(tenant, app_id)
    rule = {"action": "rollout", "abovePercentage": 50, "role": "qa", "expiresAfterHours": 1}
    assert tenant.http.post(f"applications/{app_id}/approvalrules", json=rule).status_code == 201
    assert tenant.http.post(f"{base}/updatepackagerolloutpercentage?percentage=75").status_code == 409
    change = tenant.http.get("pendingchanges").json()["value"][0]["id"]
    assert tenant.http.post(f"pendingchanges/{change}/reject", json={"reason": "no"}).status_code == 200
    assert tenant.http.post(f"{base}/updatepackagerolloutpercentage?percentage=80").status_code == 409
    second = tenant.http.get("pendingchanges").json()["value"][0]["id"]
    assert colleague("qa").http.post(f"pendingchanges/{second}/approve").status_code == 200
    assert [k for k, _ in kinds(tenant, hook)] == [
        "approval.requested",
        "approval.refused",
        "approval.requested",
        "approval.approved",
    ]
    refused = kinds(tenant, hook)[1][1]
    assert refused["pendingChangeId"] == change and refused["reason"] == "no" and refused["applicationId"] == app_id
    assert tenant.http.post(f"{base}/updatepackagerolloutpercentage?percentage=90").status_code == 409
    _expire(tenant, app_id, base)
    assert [k for k, _ in kinds(tenant, expiring)] == ["approval.expired"]


def _expire(tenant: Tenant, app_id: str, base: str) -> None:
    """Ask again two hours later: the gate finds the open change expired (and opens a new one)."""
    flight_id, sub_id = base.split("/flights/")[1].split("/submissions/")
    later = Context(caller=Caller(tenant.tenant_id, tenant.client_id), now=dates.utcnow() + timedelta(hours=2))
    with tenant.server.store.transaction(write=True) as tx, contextlib.suppress(ApprovalRequired):
        rollout.change(tx, later, Parent(app_id, flight_id), sub_id, RolloutAction.UPDATE, 95.0)


def test_the_pipeline_reports_a_failed_submission(tenant: Tenant, app_id: str) -> None:
    hook = subscribe(tenant, eventTypes=["submission.published", "submission.failed"])
    store = tenant.server.store
    with store.transaction(write=True) as tx:
        admin.inject_failure(tx, tenant_id=tenant.tenant_id, app_id=app_id, stage="CommitStarted", code="Boom",
                             details="", now=dates.utcnow())  # fmt: skip
    worker = Worker(store, tenant.server.state.blobs, WorkerSettings())
    failed = _commit_and_run(tenant, app_id, worker, "CommitFailed")
    [(kind, data)] = kinds(tenant, hook)
    assert (kind, data["submissionId"], data["applicationId"]) == ("submission.failed", failed, app_id)
    assert data["after"]["status"] == "CommitFailed" and data["actor"]["id"] == "pipeline" and "Boom" in data["reason"]


def _commit_and_run(tenant: Tenant, app_id: str, worker: Worker, until: str) -> str:
    sub = tenant.http.post(f"applications/{app_id}/submissions").json()["id"]
    assert tenant.http.post(f"applications/{app_id}/submissions/{sub}/commit").status_code == 200
    for _ in range(50):
        status = tenant.http.get(f"applications/{app_id}/submissions/{sub}/status").json()["status"]
        if status == until:
            break
        worker.run_once()
    assert status == until
    return str(sub)
