"""Moving a submission along: advance, wait, fail. Pure functions over the domain model."""

from __future__ import annotations

from datetime import datetime, timedelta

from storeflight.domain.lifecycle import Event, Status, next_status
from storeflight.domain.models import StatusDetail, Submission

FAILURE_OF: dict[Status, Status] = {
    Status.COMMIT_STARTED: Status.COMMIT_FAILED,
    Status.PRE_PROCESSING: Status.PRE_PROCESSING_FAILED,
    Status.CERTIFICATION: Status.CERTIFICATION_FAILED,
    Status.RELEASE: Status.RELEASE_FAILED,
    Status.PUBLISHING: Status.PUBLISH_FAILED,
    Status.PENDING_PUBLICATION: Status.PUBLISH_FAILED,
}


def advance(submission: Submission, *, now: datetime, delay: timedelta, **changes: object) -> Submission:
    """The next status of the happy path, due after the stage delay."""
    status = next_status(submission.status, Event.ADVANCE)
    return submission.model_copy(update={**changes, "status": status, "next_run_at": now + delay})


def wait_until(submission: Submission, when: datetime | None) -> Submission:
    """Stay in the current status; look again at `when` (None: only when something wakes it)."""
    return submission.model_copy(update={"next_run_at": when})


def fail(submission: Submission, code: str, details: str) -> Submission:
    """The stage's failure status, with the reason in statusDetails.errors. Nothing runs after it."""
    errors = [*submission.status_details.errors, StatusDetail(code=code, details=details)]
    return submission.model_copy(
        update={
            "status": FAILURE_OF[submission.status],
            "status_details": submission.status_details.model_copy(update={"errors": errors}),
            "next_run_at": None,
        }
    )


def warn(submission: Submission, code: str, details: str) -> Submission:
    warnings = [*submission.status_details.warnings, StatusDetail(code=code, details=details)]
    return submission.model_copy(
        update={"status_details": submission.status_details.model_copy(update={"warnings": warnings})}
    )
