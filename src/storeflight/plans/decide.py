"""What a plan does next, and the state after it: pure functions of the plan, its state, the time and health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from storeflight.domain.errors import InvalidState
from storeflight.plans.guard import GuardInput, Outcome, Verdict, evaluate
from storeflight.plans.model import FINAL, HoldKind, Plan, PlanState, PlanStatus


class Kind(StrEnum):
    SET = "set"  # set the rollout to `percentage` (the start of step `step`)
    FINALIZE = "finalize"  # the last step's hold is over: finalize the rollout
    HALT = "halt"  # the guard found a regression: halt the rollout (the Store's halt)
    WAIT = "wait"  # a hold is not over: look again at `until` (None: at the worker's next health check)
    IDLE = "idle"  # paused, completed or halted: nothing to do


@dataclass(frozen=True)
class Action:
    kind: Kind
    step: int
    percentage: float | None = None
    until: datetime | None = None
    reason: str = ""
    verdict: Verdict | None = None


def next_action(plan: Plan, state: PlanState, now: datetime, health: GuardInput | None) -> Action:
    """The one thing to do now. The guard is consulted once the first step is live; `health` None means no
    numbers are available (a guard hold then waits, a halt cannot happen)."""
    if state.status != PlanStatus.RUNNING:
        return Action(Kind.IDLE, state.step, reason=f"the plan is {state.status.value}")
    live = state.applied or state.step > 0
    verdict = evaluate(plan.guard, health) if plan.guard is not None and health is not None and live else None
    if verdict is not None and verdict.outcome == Outcome.HALT:
        return Action(Kind.HALT, state.step, reason=f"guard halt: {verdict.reason}", verdict=verdict)
    if not state.applied:
        return _start(plan, state.step, "plan started" if state.step == 0 else "step pending", verdict)
    done, until, why = _hold(plan, state, now, verdict)
    if done:
        return _start(plan, state.step + 1, why, verdict)
    return Action(Kind.WAIT, state.step, until=until, reason=why, verdict=verdict)


def _start(plan: Plan, index: int, reason: str, verdict: Verdict | None) -> Action:
    if index >= len(plan.steps):
        return Action(Kind.FINALIZE, len(plan.steps), percentage=100.0, reason=reason, verdict=verdict)
    return Action(Kind.SET, index, percentage=plan.steps[index].percentage, reason=reason, verdict=verdict)


def _hold(plan: Plan, state: PlanState, now: datetime, verdict: Verdict | None) -> tuple[bool, datetime | None, str]:
    """(over?, when to look again, why) for the current step's hold."""
    step = plan.steps[state.step]
    assert state.started_at is not None
    if step.hold == HoldKind.DURATION:
        until = state.started_at + timedelta(seconds=step.seconds or 0)
        if now >= until:
            return True, None, f"held {step.seconds} s at {step.percentage:g}%"
        return False, until, f"holding at {step.percentage:g}% until {until.isoformat()}"
    if step.hold == HoldKind.APPROVAL:
        if state.approved:
            return True, None, f"step at {step.percentage:g}% approved"
        return False, None, f"holding at {step.percentage:g}% until approved"
    if verdict is not None and verdict.outcome == Outcome.ADVANCE:
        return True, None, f"guard: {verdict.reason}"
    return (
        False,
        None,
        f"holding at {step.percentage:g}% for the guard: "
        + (verdict.reason if verdict is not None else "no health numbers yet"),
    )


def after(state: PlanState, action: Action, now: datetime) -> PlanState:
    """The state once `action` has been carried out."""
    if action.kind == Kind.SET:
        return PlanState(step=action.step, applied=True, started_at=now, reason=action.reason)
    if action.kind == Kind.FINALIZE:
        return PlanState(
            status=PlanStatus.COMPLETED, step=action.step, applied=True, started_at=now, reason=action.reason
        )
    if action.kind == Kind.HALT:
        return state.model_copy(update={"status": PlanStatus.HALTED, "reason": action.reason})
    return state


def _live(state: PlanState, verb: str) -> None:
    if state.status in FINAL:
        raise InvalidState(f"The plan is {state.status.value}: it cannot {verb}.", target="plan")


def pause(state: PlanState, reason: str) -> PlanState:
    _live(state, "be paused")
    return state.model_copy(update={"status": PlanStatus.PAUSED, "reason": reason})


def resume(state: PlanState, now: datetime) -> PlanState:
    """Running again; the current step's hold starts over (its percentage stays as it is)."""
    _live(state, "be resumed")
    if state.status != PlanStatus.PAUSED:
        raise InvalidState("The plan is not paused.", target="plan")
    started = now if state.applied else state.started_at
    return state.model_copy(update={"status": PlanStatus.RUNNING, "started_at": started, "reason": "resumed"})


def skip(plan: Plan, state: PlanState) -> PlanState:
    """The current step's hold (or the whole step, if not started) is skipped: the next step is due now."""
    _live(state, "skip a step")
    if state.step >= len(plan.steps):
        raise InvalidState("The plan has no step left to skip.", target="plan")
    return state.model_copy(update={"step": state.step + 1, "applied": False, "approved": False, "reason": "skipped"})


def approve(plan: Plan, state: PlanState) -> PlanState:
    _live(state, "be approved")
    if state.step >= len(plan.steps) or plan.steps[state.step].hold != HoldKind.APPROVAL:
        raise InvalidState("The current step does not wait for an approval.", target="plan")
    return state.model_copy(update={"approved": True})


def abort(state: PlanState, reason: str) -> PlanState:
    _live(state, "be aborted")
    return state.model_copy(update={"status": PlanStatus.HALTED, "reason": reason})


def ended(state: PlanState, status: PlanStatus, reason: str) -> PlanState:
    """The rollout was halted or finalized by hand: the plan ends with it."""
    return state.model_copy(update={"status": status, "reason": reason})
