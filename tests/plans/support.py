"""Helpers for plan tests: a published submission with its rollout in progress, and a worker pass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storeflight.domain import dates
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import PackageRollout, RolloutStatus
from storeflight.plans.worker import PlanWorker, PlanWorkerSettings
from storeflight.storage.protocol import Store
from tests.support import Tenant

STEPS: list[dict[str, Any]] = [
    {"percentage": 10, "hold": "duration", "seconds": 0},
    {"percentage": 40, "hold": "approval"},
    {"percentage": 70, "hold": "duration", "seconds": 3600},
]


def in_progress(tenant: Tenant, app_id: str, percentage: float = 1.0) -> str:
    """A new app submission, forced to Published with its package rollout in progress; its id."""
    created = tenant.http.post(f"applications/{app_id}/submissions")
    assert created.status_code == 201, created.text
    sub_id = str(created.json()["id"])
    force_rollout(tenant.server.store, tenant.tenant_id, app_id, sub_id, percentage)
    return sub_id


def force_rollout(store: Store, tenant_id: str, app_id: str, sub_id: str, percentage: float = 1.0) -> None:
    """Put a pending submission where the pipeline would: Published, its rollout in progress."""
    with store.transaction(write=True) as tx:
        previous = tx.last_published(f"app:{app_id}")
        submission = tx.get_submission(tenant_id, sub_id)
        assert submission is not None and previous is not None
        rollout = PackageRollout(
            is_package_rollout=True,
            percentage=percentage,
            status=RolloutStatus.IN_PROGRESS,
            fallback_submission_id=previous.id,
        )
        delivery = submission.delivery.model_copy(update={"rollout": rollout})
        published = {"status": Status.PUBLISHED, "published_at": dates.utcnow(), "delivery": delivery}
        tx.save_submission(submission.model_copy(update=published))
        tx.bump_delivery_version(tenant_id, app_id)


def drain(store: Store, now: datetime | None = None, limit: int = 20) -> int:
    """Run a worker until nothing is due (at `now`); how many actions it took."""
    worker = PlanWorker(store, PlanWorkerSettings())
    done = 0
    while done < limit and worker.run_once(now):
        done += 1
    return done
