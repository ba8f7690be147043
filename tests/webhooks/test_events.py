"""Which audited changes are which events, and what their data says: pure."""

from __future__ import annotations

from datetime import UTC, datetime

from storeflight.audit.model import Actor, ActorKind, Entry
from storeflight.webhooks import events
from storeflight.webhooks.model import EventType as E

SERVER = Actor(ActorKind.SERVER, "plans-1")
PERSON = Actor(ActorKind.CLIENT, "client-1")


def entry(action: str, before: object = None, after: object = None, actor: Actor = PERSON) -> Entry:
    return Entry("t", datetime(2026, 5, 1, tzinfo=UTC), actor, action, "submission", "1", before, after)


def test_each_reported_action_maps_to_its_events() -> None:
    assert events.types_of(entry("rollout.halt")) == (E.ROLLOUT_HALTED,)
    assert events.types_of(entry("plan.step")) == (E.PLAN_STEP_ADVANCED, E.ROLLOUT_PERCENTAGE_CHANGED)
    assert events.types_of(entry("pendingchange.reject")) == (E.APPROVAL_REFUSED,)
    assert events.types_of(entry("flight.update")) == ()
    changed = E.SUBMISSION_STATUS_CHANGED
    published = entry("submission.status", None, {"status": "Published"})
    assert events.types_of(published) == (changed, E.SUBMISSION_PUBLISHED)
    failed = entry("submission.status", None, {"status": "CertificationFailed"})
    assert events.types_of(failed) == (changed, E.SUBMISSION_FAILED)
    assert events.types_of(entry("submission.status", None, {"status": "Certification"})) == (changed,)
    assert events.types_of(entry("submission.commit")) == (changed,)


def test_an_abort_that_stopped_the_rollout_is_a_halt_too() -> None:
    running, stopped = {"packageRolloutStatus": "PackageRolloutInProgress"}, {"packageRolloutStatus": "Stopped"}
    assert events.types_of(entry("plan.abort", running, stopped)) == (E.PLAN_ABORTED, E.ROLLOUT_HALTED)
    assert events.types_of(entry("plan.abort", stopped, stopped)) == (E.PLAN_ABORTED,)


def test_a_guard_halt_carries_its_numbers_and_says_it_was_automatic() -> None:
    checks = [{"metric": "crashRate", "rollout": {"events": 3, "trials": 10}}]
    found = entry("plan.guard_halt", {}, {"checks": checks}, SERVER)
    data = events.data(found, E.ROLLOUT_HALTED, {"submissionId": "1"})
    assert data["checks"] == checks and data["haltedBy"] == "guard" and data["automatic"] is True
    by_hand = events.data(entry("rollout.halt", {}, {}), E.ROLLOUT_HALTED, {})
    assert by_hand["haltedBy"] == "person" and by_hand["automatic"] is False and "checks" not in by_hand
