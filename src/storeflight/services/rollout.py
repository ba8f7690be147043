"""The rollout endpoints: read the rollout of any submission, change it on the published one."""

from __future__ import annotations

from storeflight.domain import rollout as domain
from storeflight.domain.models import PackageRollout
from storeflight.services import submissions
from storeflight.services.context import Context
from storeflight.services.submissions import Parent
from storeflight.storage.protocol import Tx


def get(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> PackageRollout:
    return submissions.get(tx, ctx, parent, submission_id).delivery.rollout


def change(
    tx: Tx, ctx: Context, parent: Parent, submission_id: str, action: domain.RolloutAction, percentage: float | None
) -> PackageRollout:
    submission = submissions.get(tx, ctx, parent, submission_id, lock=True)
    rollout = domain.apply(submission.status, submission.delivery.rollout, action, percentage)
    delivery = submission.delivery.model_copy(update={"rollout": rollout})
    tx.save_submission(submission.model_copy(update={"delivery": delivery}))
    tx.bump_delivery_version(submission.tenant_id, submission.app_id)
    return rollout
