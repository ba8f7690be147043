"""Each 409 the server answers gets the next step that fits it (messages as the server words them)."""

from __future__ import annotations

import pytest

from storeflight.cli.hints import DEFAULT, conflict_hint
from storeflight.client import ConflictError


def _conflict(message: str, target: str = "submission") -> ConflictError:
    body = {"code": "InvalidState", "message": message, "target": target}
    return ConflictError(message, status=409, code="InvalidState", body=body)


@pytest.mark.parametrize(
    ("message", "target", "expected"),
    [
        ("Create submission failed: submission 1152921504606846977 is still in progress (PendingCommit).",
         "submission", "publish --force"),
        ("The flight group '1' is used by a package flight; remove it from the flight first.", "flightGroup",
         "flights update"),
        ("The submission is not in a valid state for a package rollout operation: it must be Published with its "
         "rollout in progress (it is Published, PackageRolloutComplete).", "submission", "already finalized"),
        ("The submission is not in a valid state for a package rollout operation: it must be Published with its "
         "rollout in progress (it is Published, PackageRolloutStopped).", "submission", "halted"),
        ("The submission could not be committed in its current state (CommitFailed). A failed submission cannot be "
         "changed or committed again: delete it and create a new one.", "submission", "cannot be changed"),
        ("Create submission failed: the package rollout of submission 1 is in progress; finalize or halt it first.",
         "submission", "rollout finalize"),
        ("A package flight can only be created after the app has a published submission.", "flight",
         "first submission"),
        ("Only a submission resting in Release can be published; this one is Published.", "submission",
         "waiting in Release"),
    ],
)
def test_each_conflict_gets_its_own_next_step(message: str, target: str, expected: str) -> None:
    hint = conflict_hint(_conflict(message, target))
    assert expected in hint
    if expected != "publish --force":
        assert "publish --force` deletes" not in hint


def test_an_unknown_conflict_gets_a_neutral_hint() -> None:
    assert conflict_hint(_conflict("Something else entirely.")) == DEFAULT
    assert conflict_hint(ConflictError("no body", status=409)) == DEFAULT
