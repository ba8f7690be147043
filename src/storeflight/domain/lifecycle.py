"""The submission lifecycle: statuses, the transition table and which operations each status allows.

This module is the single source of truth for the state machine (store-api.md sections 3.2 and 3.3).
"""

from __future__ import annotations

from enum import StrEnum

from storeflight.domain.errors import InvalidState


class Status(StrEnum):
    """Submission status values, spelled exactly as the Store API spells them."""

    NONE = "None"
    CANCELED = "Canceled"
    PENDING_COMMIT = "PendingCommit"
    COMMIT_STARTED = "CommitStarted"
    COMMIT_FAILED = "CommitFailed"
    PENDING_PUBLICATION = "PendingPublication"
    PUBLISHING = "Publishing"
    PUBLISHED = "Published"
    PUBLISH_FAILED = "PublishFailed"
    PRE_PROCESSING = "PreProcessing"
    PRE_PROCESSING_FAILED = "PreProcessingFailed"
    CERTIFICATION = "Certification"
    CERTIFICATION_FAILED = "CertificationFailed"
    RELEASE = "Release"
    RELEASE_FAILED = "ReleaseFailed"


class Event(StrEnum):
    """Things that move a submission from one status to another."""

    COMMIT = "commit"
    ABORT = "abort"
    ADVANCE = "advance"
    FAIL = "fail"
    CANCEL = "cancel"


class Operation(StrEnum):
    """API operations whose permission depends on the submission's status."""

    UPDATE = "update"
    COMMIT = "commit"
    DELETE = "delete"


S = Status

# (from, event) -> to. A pair missing here is an illegal move.
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.PENDING_COMMIT, Event.COMMIT): S.COMMIT_STARTED,
    (S.COMMIT_STARTED, Event.ADVANCE): S.PRE_PROCESSING,
    (S.COMMIT_STARTED, Event.FAIL): S.COMMIT_FAILED,
    (S.COMMIT_STARTED, Event.ABORT): S.PENDING_COMMIT,
    (S.PRE_PROCESSING, Event.ADVANCE): S.CERTIFICATION,
    (S.PRE_PROCESSING, Event.FAIL): S.PRE_PROCESSING_FAILED,
    (S.CERTIFICATION, Event.ADVANCE): S.RELEASE,
    (S.CERTIFICATION, Event.FAIL): S.CERTIFICATION_FAILED,
    (S.RELEASE, Event.ADVANCE): S.PENDING_PUBLICATION,
    (S.RELEASE, Event.FAIL): S.RELEASE_FAILED,
    (S.PENDING_PUBLICATION, Event.ADVANCE): S.PUBLISHING,
    (S.PUBLISHING, Event.ADVANCE): S.PUBLISHED,
    (S.PUBLISHING, Event.FAIL): S.PUBLISH_FAILED,
    **{(s, Event.CANCEL): S.CANCELED for s in (S.PRE_PROCESSING, S.CERTIFICATION, S.RELEASE)},
}

FAILED: frozenset[Status] = frozenset(s for s in Status if s.value.endswith("Failed"))

# Statuses that are neither published nor cancelled: the submission is "the pending one" of its parent.
PENDING: frozenset[Status] = frozenset(Status) - {S.PUBLISHED, S.CANCELED, S.NONE}

# Statuses in which the ingestion pipeline owns the submission.
IN_PIPELINE: frozenset[Status] = frozenset(
    {S.COMMIT_STARTED, S.PRE_PROCESSING, S.CERTIFICATION, S.RELEASE, S.PENDING_PUBLICATION, S.PUBLISHING}
)

ALLOWED: dict[Operation, frozenset[Status]] = {
    Operation.UPDATE: frozenset({S.PENDING_COMMIT}),
    Operation.COMMIT: frozenset({S.PENDING_COMMIT}),
    Operation.DELETE: frozenset({S.PENDING_COMMIT, S.CANCELED}) | FAILED,
}

_VERBS = {Operation.UPDATE: "updated", Operation.COMMIT: "committed", Operation.DELETE: "deleted"}


def check_allowed(operation: Operation, status: Status) -> None:
    """Raise InvalidState unless `operation` may run on a submission in `status`."""
    if status in ALLOWED[operation]:
        return
    message = f"The submission could not be {_VERBS[operation]} in its current state ({status.value})."
    if status in FAILED:
        message += " A failed submission cannot be changed or committed again: delete it and create a new one."
    raise InvalidState(message)


def next_status(status: Status, event: Event) -> Status:
    """The status after `event`, or InvalidState when the move is not in the table."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidState(f"A submission in {status.value} cannot {event.value}.") from None


def is_pending(status: Status) -> bool:
    """True while the submission blocks a new submission of the same flight or app."""
    return status in PENDING
