"""`next_action` and the state transitions: steps in order, holds, guard halts, pause/resume/skip/abort."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storeflight.domain.errors import InvalidState
from storeflight.plans import decide
from storeflight.plans.decide import Kind, next_action
from storeflight.plans.guard import CohortCounts, GuardInput
from storeflight.plans.model import Guard, HoldKind, Metric, Plan, PlanState, PlanStatus, Step

NOW = datetime(2026, 3, 1, tzinfo=UTC)
GUARD = Guard(metrics=(Metric.CRASH_RATE,), thresholds=(), min_sample=100)
PLAN = Plan(
    steps=(
        Step(percentage=10, seconds=3600),
        Step(percentage=30, hold=HoldKind.APPROVAL),
        Step(percentage=60, hold=HoldKind.GUARD),
    ),
    guard=GUARD,
)
BAD = GuardInput(CohortCounts(launches=20_000, crashes=400), CohortCounts(launches=200_000, crashes=1000))
GOOD = GuardInput(CohortCounts(launches=100_000, crashes=500), CohortCounts(launches=1_000_000, crashes=5000))
THIN = GuardInput(CohortCounts(launches=10, crashes=0), CohortCounts(launches=10, crashes=0))


def test_a_new_plan_sets_its_first_percentage() -> None:
    action = next_action(PLAN, PlanState(), NOW, None)
    assert (action.kind, action.step, action.percentage) == (Kind.SET, 0, 10)
    state = decide.after(PlanState(), action, NOW)
    assert state.applied and state.started_at == NOW and state.step == 0


def test_the_guard_is_not_consulted_before_the_first_step_is_live() -> None:
    assert next_action(PLAN, PlanState(), NOW, BAD).kind == Kind.SET


def test_a_duration_hold_waits_until_its_end_then_the_next_step_starts() -> None:
    state = PlanState(applied=True, started_at=NOW)
    waiting = next_action(PLAN, state, NOW + timedelta(minutes=59), THIN)
    assert waiting.kind == Kind.WAIT and waiting.until == NOW + timedelta(hours=1)
    due = next_action(PLAN, state, NOW + timedelta(hours=1), THIN)
    assert (due.kind, due.step, due.percentage) == (Kind.SET, 1, 30)


def test_an_approval_hold_waits_for_the_approval() -> None:
    state = PlanState(step=1, applied=True, started_at=NOW)
    assert next_action(PLAN, state, NOW + timedelta(days=30), GOOD).kind == Kind.WAIT
    approved = decide.approve(PLAN, state)
    assert next_action(PLAN, approved, NOW, GOOD).percentage == 60
    with pytest.raises(InvalidState):
        decide.approve(PLAN, PlanState(step=0, applied=True, started_at=NOW))


def test_a_guard_hold_advances_on_good_numbers_only_and_the_last_step_finalizes() -> None:
    state = PlanState(step=2, applied=True, started_at=NOW)
    assert next_action(PLAN, state, NOW, THIN).kind == Kind.WAIT
    assert next_action(PLAN, state, NOW, None).kind == Kind.WAIT
    final = next_action(PLAN, state, NOW, GOOD)
    assert final.kind == Kind.FINALIZE and final.step == 3
    assert decide.after(state, final, NOW).status == PlanStatus.COMPLETED


def test_the_guard_halts_during_any_hold_with_its_numbers() -> None:
    for step in (0, 1, 2):
        action = next_action(PLAN, PlanState(step=step, applied=True, started_at=NOW), NOW, BAD)
        assert action.kind == Kind.HALT
        assert action.verdict is not None and "400/20000" in action.reason
    halted = decide.after(PlanState(applied=True, started_at=NOW), action, NOW)
    assert halted.status == PlanStatus.HALTED and halted.reason.startswith("guard halt")


def test_pause_resume_restarts_the_hold() -> None:
    state = PlanState(applied=True, started_at=NOW)
    paused = decide.pause(state, "by hand")
    assert next_action(PLAN, paused, NOW + timedelta(days=1), BAD).kind == Kind.IDLE
    resumed = decide.resume(paused, NOW + timedelta(days=1))
    assert resumed.status == PlanStatus.RUNNING and resumed.started_at == NOW + timedelta(days=1)
    assert next_action(PLAN, resumed, NOW + timedelta(days=1, minutes=1), THIN).kind == Kind.WAIT
    with pytest.raises(InvalidState):
        decide.resume(resumed, NOW)


def test_skip_makes_the_next_step_due_and_runs_out() -> None:
    state = decide.skip(PLAN, PlanState(applied=True, started_at=NOW))
    assert next_action(PLAN, state, NOW, THIN).percentage == 30
    last = PlanState(step=3, applied=False)
    assert next_action(PLAN, last, NOW, THIN).kind == Kind.FINALIZE
    with pytest.raises(InvalidState):
        decide.skip(PLAN, last)


def test_a_finished_plan_refuses_every_change() -> None:
    done = PlanState(status=PlanStatus.HALTED)
    for change in (lambda: decide.pause(done, "x"), lambda: decide.abort(done, "x"), lambda: decide.skip(PLAN, done)):
        with pytest.raises(InvalidState):
            change()
