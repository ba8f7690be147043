"""Plan use cases: attach, read, pause, resume, skip, approve, abort (one function each, so a gate can wrap
them), what a manual rollout change does to a plan, and the worker's execution of one due plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from storeflight.approvals import gate
from storeflight.approvals.model import PendingChange
from storeflight.approvals.rules import Action as Guarded
from storeflight.approvals.rules import Attempt
from storeflight.audit.model import Actor, ActorKind
from storeflight.domain import ids
from storeflight.domain import rollout as rollouts
from storeflight.domain.errors import InvalidState, NotFound
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import RolloutStatus, Submission
from storeflight.plans import decide
from storeflight.plans.decide import Action, Kind
from storeflight.plans.guard import CohortCounts, GuardInput
from storeflight.plans.model import FINAL, Plan, PlanState, PlanStatus
from storeflight.plans.stored import PlanEvent, StoredPlan
from storeflight.services import health, submissions
from storeflight.services.context import Caller, Context
from storeflight.services.submissions import Parent
from storeflight.storage.protocol import StorageConflict, Tx
from storeflight.telemetry.cohort import Cohort
from storeflight.telemetry.health import Totals

RESOURCE = "rollout_plan"
DEFAULT_POLL = timedelta(seconds=60)


class LeaseLost(Exception):
    """The worker's lease on a plan ran out and someone else took it: its transaction must roll back."""


@dataclass(frozen=True)
class PlanView:
    stored: StoredPlan
    events: list[PlanEvent]
    submission: Submission


def _actor(ctx: Context) -> str:
    who = ctx.who
    return f"{who.kind.value}:{who.id}"


def _in_progress(submission: Submission) -> bool:
    rollout = submission.delivery.rollout
    return submission.status == Status.PUBLISHED and rollout.status == RolloutStatus.IN_PROGRESS


def _snapshot(stored: StoredPlan, submission: Submission) -> dict[str, Any]:
    rollout = submission.delivery.rollout
    return {
        "state": stored.state.model_dump(mode="json", by_alias=True),
        "packageRolloutPercentage": rollout.percentage,
        "packageRolloutStatus": rollout.status.value,
    }


def _load(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> tuple[Submission, StoredPlan]:
    submission = submissions.get(tx, ctx, parent, submission_id, lock=True)
    stored = tx.get_plan(ctx.caller.tenant_id, submission.id, lock=True)
    if stored is None:
        raise NotFound(f"The submission '{submission_id}' has no rollout plan.", target="plan")
    return submission, stored


def _rollout(tx: Tx, submission: Submission, action: rollouts.RolloutAction, pct: float | None) -> Submission:
    """Apply a rollout change with the Store's rules (the same as its four endpoints)."""
    rollout = rollouts.apply(submission.status, submission.delivery.rollout, action, pct)
    changed = submission.model_copy(update={"delivery": submission.delivery.model_copy(update={"rollout": rollout})})
    tx.save_submission(changed)
    tx.bump_delivery_version(submission.tenant_id, submission.app_id)
    return changed


def _next_run(plan: Plan, state: PlanState, action: Action | None, now: datetime, poll: timedelta) -> datetime | None:
    if state.status != PlanStatus.RUNNING:
        return None
    if action is None or action.kind != Kind.WAIT:
        return now
    limit = now + poll
    if action.until is None:
        return limit
    return min(action.until, limit) if plan.guard is not None else action.until


def _commit(
    tx: Tx,
    ctx: Context,
    stored: StoredPlan,
    state: PlanState,
    before: Submission,
    after: Submission,
    event: tuple[str, Action | None],
    *,
    owner: str | None = None,
    poll: timedelta = DEFAULT_POLL,
) -> StoredPlan:
    """Save the new state (CAS on the revision, and the lease with `owner`), its event and its audit record."""
    name, action = event
    saved = replace(
        stored,
        state=state,
        revision=stored.revision + 1,
        updated_at=ctx.now,
        next_run_at=_next_run(stored.plan, state, action, ctx.now, poll),
    )
    if not tx.save_plan(saved, owner=owner):
        raise LeaseLost(stored.id)
    numbers = [c.as_dict() for c in action.verdict.checks] if action and action.verdict else []
    reason = (action.reason if action else "") or state.reason
    step = action.step if action else state.step
    pct = action.percentage if action else None
    tx.add_plan_event(PlanEvent(stored.id, 0, ctx.now, _actor(ctx), name, step, pct, reason, numbers))
    after_view = {**_snapshot(saved, after), "checks": numbers} if numbers else _snapshot(saved, after)
    ctx.record(tx, name, RESOURCE, stored.id, _snapshot(stored, before), after_view, reason=reason)
    return saved


def _gate(tx: Tx, ctx: Context, submission: Submission, params: dict[str, Any], approved: PendingChange | None) -> None:
    """A rule guarding plan changes on this line turns the change into a pending change (ApprovalRequired)."""
    attempt = Attempt(Guarded.PLAN, submission.app_id, submission.flight_id)
    gate.require(tx, ctx, attempt, submission.id, params, approved=approved)


def create(
    tx: Tx, ctx: Context, parent: Parent, submission_id: str, plan: Plan, *, approved: PendingChange | None = None
) -> StoredPlan:
    """Attach `plan` to a published submission whose rollout is in progress; its first step is due now."""
    submission = submissions.get(tx, ctx, parent, submission_id, lock=True)
    if not _in_progress(submission):
        raise InvalidState(
            "A rollout plan needs a Published submission with its package rollout in progress "
            f"(it is {submission.status.value}, {submission.delivery.rollout.status.value}).",
            target="plan",
        )
    if tx.get_plan(ctx.caller.tenant_id, submission.id) is not None:
        raise InvalidState(f"The submission '{submission.id}' already has a rollout plan.", target="plan")
    _gate(tx, ctx, submission, {"operation": "attach", "plan": plan.model_dump(mode="json", by_alias=True)}, approved)
    stored = StoredPlan(
        id=ids.new_decimal_id(),
        tenant_id=submission.tenant_id,
        app_id=submission.app_id,
        flight_id=submission.flight_id,
        submission_id=submission.id,
        plan=plan,
        state=PlanState(reason="created"),
        created_at=ctx.now,
        updated_at=ctx.now,
        next_run_at=ctx.now,
        revision=1,
    )
    try:
        tx.add_plan(stored)
    except StorageConflict:
        raise InvalidState(f"The submission '{submission.id}' already has a rollout plan.", target="plan") from None
    tx.add_plan_event(PlanEvent(stored.id, 0, ctx.now, _actor(ctx), "plan.create", 0, None, "created", []))
    after = {"plan": plan.model_dump(mode="json", by_alias=True), **_snapshot(stored, submission)}
    ctx.record(tx, "plan.create", RESOURCE, stored.id, None, after)
    return stored


def show(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> PlanView:
    submission = submissions.get(tx, ctx, parent, submission_id)
    stored = tx.get_plan(ctx.caller.tenant_id, submission.id)
    if stored is None:
        raise NotFound(f"The submission '{submission_id}' has no rollout plan.", target="plan")
    return PlanView(stored, tx.plan_events(stored.id), submission)


def _manual(
    tx: Tx,
    ctx: Context,
    parent: Parent,
    submission_id: str,
    name: str,
    change: Callable[[Plan, PlanState], PlanState],
    *,
    guarded: bool = False,
    approved: PendingChange | None = None,
) -> StoredPlan:
    submission, stored = _load(tx, ctx, parent, submission_id)
    state = change(stored.plan, stored.state)
    if guarded:  # an operation that makes the plan go further or faster than it would by itself
        _gate(tx, ctx, submission, {"operation": name.removeprefix("plan."), "step": stored.state.step}, approved)
    return _commit(tx, ctx, stored, state, submission, submission, (name, None))


def pause(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> StoredPlan:
    return _manual(tx, ctx, parent, submission_id, "plan.pause", lambda _, s: decide.pause(s, "paused by hand"))


def resume(
    tx: Tx, ctx: Context, parent: Parent, submission_id: str, *, approved: PendingChange | None = None
) -> StoredPlan:
    change: Callable[[Plan, PlanState], PlanState] = lambda _, s: decide.resume(s, ctx.now)  # noqa: E731
    return _manual(tx, ctx, parent, submission_id, "plan.resume", change, guarded=True, approved=approved)


def skip(
    tx: Tx, ctx: Context, parent: Parent, submission_id: str, *, approved: PendingChange | None = None
) -> StoredPlan:
    return _manual(tx, ctx, parent, submission_id, "plan.skip", decide.skip, guarded=True, approved=approved)


def approve(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> StoredPlan:
    return _manual(tx, ctx, parent, submission_id, "plan.approve", decide.approve)


def abort(tx: Tx, ctx: Context, parent: Parent, submission_id: str) -> StoredPlan:
    """End the plan and halt the rollout (the Store's halt: nobody new gets these packages)."""
    submission, stored = _load(tx, ctx, parent, submission_id)
    state = decide.abort(stored.state, "aborted by hand")
    after = _rollout(tx, submission, rollouts.RolloutAction.HALT, None) if _in_progress(submission) else submission
    return _commit(tx, ctx, stored, state, submission, after, ("plan.abort", None))


def on_manual_change(
    tx: Tx, ctx: Context, before: Submission, after: Submission, action: rollouts.RolloutAction
) -> None:
    """A rollout changed through the Store API while its plan is live: a percentage change pauses the plan (a
    person took over; `resume` hands it back), a halt or a finalize ends it with the rollout."""
    stored = tx.get_plan(after.tenant_id, after.id, lock=True)
    if stored is None or stored.state.status in FINAL:
        return
    if action == rollouts.RolloutAction.UPDATE:
        pct = after.delivery.rollout.percentage
        if stored.state.status == PlanStatus.PAUSED:
            return
        state, name = decide.pause(stored.state, f"paused: the percentage was set to {pct:g}% by hand"), "plan.pause"
    elif action == rollouts.RolloutAction.HALT:
        state, name = decide.ended(stored.state, PlanStatus.HALTED, "the rollout was halted by hand"), "plan.end"
    else:
        state, name = decide.ended(stored.state, PlanStatus.COMPLETED, "the rollout was finalized by hand"), "plan.end"
    _commit(tx, ctx, stored, state, before, after, (name, None))


def guard_input(tx: Tx, ctx: Context, stored: StoredPlan) -> GuardInput:
    """The cohorts' counts: the rollout cohort on the plan's submission, against the whole fallback cohort."""
    found = health.rollout_health(tx, ctx, stored.app_id, stored.flight_id, stored.submission_id, health.MAX_HOURS)
    cohorts = found.health.cohorts
    inside = Totals()
    if Cohort.ROLLOUT in cohorts:
        for (sub_id, _), totals in cohorts[Cohort.ROLLOUT].versions.items():
            if sub_id == stored.submission_id:
                inside.add(totals.counts)
    outside = cohorts[Cohort.FALLBACK].totals if Cohort.FALLBACK in cohorts else Totals()
    return GuardInput(_counts(inside), _counts(outside))


def _counts(totals: Totals) -> CohortCounts:
    c = totals.counts
    return CohortCounts(launches=c.launches, crashes=c.crashes, installs=c.installs, update_failures=c.update_failures)


NAMES = {Kind.SET: "plan.step", Kind.FINALIZE: "plan.finalize", Kind.HALT: "plan.guard_halt"}
ROLLOUT_ACTIONS = {
    Kind.SET: rollouts.RolloutAction.UPDATE,
    Kind.FINALIZE: rollouts.RolloutAction.FINALIZE,
    Kind.HALT: rollouts.RolloutAction.HALT,
}


def run(tx: Tx, stored: StoredPlan, now: datetime, *, owner: str, poll: timedelta = DEFAULT_POLL) -> Action | None:
    """Carry out the plan's next action as the server (the worker holding the lease `owner`), in `tx`.

    The rollout change, the new state (saved only while the lease is held: LeaseLost otherwise, and the whole
    transaction rolls back), its event and its audit record commit together: a step happens once."""
    ctx = Context(caller=Caller(stored.tenant_id, owner), now=now, actor=Actor(ActorKind.SERVER, owner))
    submission = tx.get_submission(stored.tenant_id, stored.submission_id, lock=True)
    assert submission is not None  # the foreign key guarantees it
    if not _in_progress(submission):
        ended = (
            PlanStatus.COMPLETED if submission.delivery.rollout.status == RolloutStatus.COMPLETE else PlanStatus.HALTED
        )
        state = decide.ended(stored.state, ended, "the rollout is no longer in progress")
        _commit(tx, ctx, stored, state, submission, submission, ("plan.end", None), owner=owner, poll=poll)
        return None
    data = guard_input(tx, ctx, stored) if stored.plan.guard is not None else None
    action = decide.next_action(stored.plan, stored.state, now, data)
    after = submission
    if action.kind in ROLLOUT_ACTIONS:
        after = _rollout(tx, submission, ROLLOUT_ACTIONS[action.kind], action.percentage)
    state = decide.after(stored.state, action, now)
    if action.kind in NAMES:
        _commit(tx, ctx, stored, state, submission, after, (NAMES[action.kind], action), owner=owner, poll=poll)
    else:
        saved = replace(
            stored,
            revision=stored.revision + 1,
            updated_at=now,
            next_run_at=_next_run(stored.plan, state, action, now, poll),
        )
        if not tx.save_plan(saved, owner=owner):
            raise LeaseLost(stored.id)
    return action


def apply_approved(tx: Tx, ctx: Context, change: PendingChange) -> None:
    """Carry out an approved plan change (the approvals package calls this once the signoffs are in)."""
    parent, operation = Parent(change.app_id, change.flight_id), change.params.get("operation")
    if operation == "attach":
        create(tx, ctx, parent, change.submission_id, Plan.model_validate(change.params["plan"]), approved=change)
    elif operation == "skip":
        skip(tx, ctx, parent, change.submission_id, approved=change)
    elif operation == "resume":
        resume(tx, ctx, parent, change.submission_id, approved=change)
    else:
        raise InvalidState(f"No plan operation '{operation}' to carry out.", target="pendingChange")
