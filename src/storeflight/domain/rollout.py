"""Gradual package rollout of a published submission (store-api.md 1.4 and 3.4): the sub-state machine."""

from __future__ import annotations

from enum import StrEnum

from storeflight.domain.errors import InvalidState
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import PackageRollout, RolloutStatus, Submission
from storeflight.domain.submissions import check_percentage

NO_FALLBACK = "0"


class RolloutAction(StrEnum):
    UPDATE = "update"
    HALT = "halt"
    FINALIZE = "finalize"


def apply(
    status: Status, rollout: PackageRollout, action: RolloutAction, percentage: float | None = None
) -> PackageRollout:
    """The rollout after `action`. Only a Published submission whose rollout is in progress may change."""
    if status != Status.PUBLISHED or rollout.status != RolloutStatus.IN_PROGRESS:
        raise InvalidState(
            "The submission is not in a valid state for a package rollout operation: it must be Published with "
            f"its rollout in progress (it is {status.value}, {rollout.status.value})."
        )
    if action == RolloutAction.HALT:
        return rollout.model_copy(update={"percentage": 0.0, "status": RolloutStatus.STOPPED})
    if action == RolloutAction.FINALIZE:
        return rollout.model_copy(update={"percentage": 100.0, "status": RolloutStatus.COMPLETE})
    assert percentage is not None
    return rollout.model_copy(update={"percentage": check_percentage(percentage)})


def fallback_id(previous: Submission | None) -> str:
    """The id of the submission customers outside a new rollout receive, given the line's previous one.

    The previous submission itself, unless its own rollout was halted: nobody new gets a halted submission's
    packages, so its customers-outside-the-rollout submission (its own fallback) stays the one offered. This is
    the rule delivery applies, so `fallbackSubmissionId` always names what outsiders really get. Customers who
    already run the halted version keep it: the no-downgrade rule offers them nothing older.
    """
    if previous is None:
        return NO_FALLBACK
    rollout = previous.delivery.rollout
    if rollout.is_package_rollout and rollout.status == RolloutStatus.STOPPED:
        return rollout.fallback_submission_id
    return previous.id
