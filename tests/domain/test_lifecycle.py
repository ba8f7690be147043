"""The lifecycle table (store-api.md 3.2/3.3)."""

from __future__ import annotations

import pytest

from storeflight.domain.errors import InvalidState
from storeflight.domain.lifecycle import (
    ALLOWED,
    FAILED,
    TRANSITIONS,
    Event,
    Operation,
    Status,
    check_allowed,
    is_pending,
    next_status,
)

HAPPY_PATH = [
    Status.PENDING_COMMIT,
    Status.COMMIT_STARTED,
    Status.PRE_PROCESSING,
    Status.CERTIFICATION,
    Status.RELEASE,
    Status.PENDING_PUBLICATION,
    Status.PUBLISHING,
    Status.PUBLISHED,
]


def test_the_documented_happy_path_is_reachable_event_by_event() -> None:
    status = Status.PENDING_COMMIT
    walked = [status]
    status = next_status(status, Event.COMMIT)
    walked.append(status)
    while status != Status.PUBLISHED:
        status = next_status(status, Event.ADVANCE)
        walked.append(status)
    assert walked == HAPPY_PATH


def test_every_failure_target_is_a_failed_status_and_terminal() -> None:
    for (source, event), target in TRANSITIONS.items():
        if event == Event.FAIL:
            assert target in FAILED
            assert not any(s == target for s, _ in TRANSITIONS), f"{target} must be terminal (from {source})"


def test_commit_aborts_back_to_pending_commit() -> None:
    assert next_status(Status.COMMIT_STARTED, Event.ABORT) == Status.PENDING_COMMIT


@pytest.mark.parametrize("status", list(Status))
def test_moves_not_in_the_table_are_invalid_state(status: Status) -> None:
    for event in Event:
        if (status, event) not in TRANSITIONS:
            with pytest.raises(InvalidState):
                next_status(status, event)


def test_published_and_failed_statuses_allow_exactly_what_the_matrix_says() -> None:
    assert ALLOWED[Operation.UPDATE] == {Status.PENDING_COMMIT}
    assert ALLOWED[Operation.COMMIT] == {Status.PENDING_COMMIT}
    assert Status.PUBLISHED not in ALLOWED[Operation.DELETE]
    assert ALLOWED[Operation.DELETE] >= FAILED
    with pytest.raises(InvalidState, match="could not be deleted"):
        check_allowed(Operation.DELETE, Status.CERTIFICATION)


def test_pending_means_neither_published_nor_cancelled() -> None:
    assert not is_pending(Status.PUBLISHED) and not is_pending(Status.CANCELED)
    assert all(is_pending(s) for s in HAPPY_PATH[:-1])
    assert all(is_pending(s) for s in FAILED)
