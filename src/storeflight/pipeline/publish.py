"""What publishing does to a submission: packages settle, the rollout starts, the pointers move."""

from __future__ import annotations

from datetime import datetime

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import FileStatus, PackageRollout, RolloutStatus, Submission
from storeflight.domain.rollout import fallback_id


def published(submission: Submission, *, now: datetime, fallback: Submission | None) -> Submission:
    """The submission as Published.

    PendingUpload packages become Uploaded, PendingDelete ones go. With gradual rollout on, the rollout starts
    (PackageRolloutInProgress) and customers outside it get `fallback`: the parent's previously published
    submission or, for a flight's first rollout, the app's published non-flighted one; if that one's rollout
    was halted, the submission it fell back to (domain.rollout.fallback_id).
    """
    packages = [
        p.model_copy(update={"file_status": FileStatus.UPLOADED})
        for p in submission.packages
        if p.file_status != FileStatus.PENDING_DELETE
    ]
    rollout = submission.delivery.rollout
    if rollout.is_package_rollout:
        rollout = PackageRollout(
            is_package_rollout=True,
            percentage=rollout.percentage,
            status=RolloutStatus.IN_PROGRESS,
            fallback_submission_id=fallback_id(fallback),
        )
    else:
        rollout = PackageRollout()
    return submission.model_copy(
        update={
            "status": Status.PUBLISHED,
            "packages": packages,
            "delivery": submission.delivery.model_copy(update={"rollout": rollout}),
            "published_at": now,
            "next_run_at": None,
            "rollout_seed": submission.rollout_seed or submission.id,
        }
    )
