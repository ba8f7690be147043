"""Which audited changes are webhook events, and what their `data` says: pure, from the audit entry alone.

Every change of the kinds webhooks report is already recorded in the audit history in its own transaction
(`audit.record`), so the outbox is filled there: one place, and no change reaches the history without its
event (or the other way round). Auditing switched off does not switch events off."""

from __future__ import annotations

from typing import Any

from storeflight.audit.model import ActorKind, Entry
from storeflight.webhooks.model import EventType as E

_BY_ACTION: dict[str, tuple[E, ...]] = {
    "rollout.halt": (E.ROLLOUT_HALTED,),
    "rollout.update": (E.ROLLOUT_PERCENTAGE_CHANGED,),
    "rollout.finalize": (E.ROLLOUT_FINALIZED,),
    "plan.step": (E.PLAN_STEP_ADVANCED, E.ROLLOUT_PERCENTAGE_CHANGED),
    "plan.finalize": (E.ROLLOUT_FINALIZED, E.PLAN_FINISHED),
    "plan.guard_halt": (E.ROLLOUT_HALTED, E.PLAN_FINISHED),
    "plan.pause": (E.PLAN_PAUSED,),
    "plan.resume": (E.PLAN_RESUMED,),
    "plan.abort": (E.PLAN_ABORTED,),
    "plan.end": (E.PLAN_FINISHED,),
    "pendingchange.request": (E.APPROVAL_REQUESTED,),
    "pendingchange.apply": (E.APPROVAL_APPROVED,),
    "pendingchange.reject": (E.APPROVAL_REFUSED,),
    "pendingchange.expire": (E.APPROVAL_EXPIRED,),
    "submission.commit": (E.SUBMISSION_STATUS_CHANGED,),
    "submission.publish": (E.SUBMISSION_STATUS_CHANGED,),
}
ACTIONS = frozenset(_BY_ACTION) | {"submission.status"}


def _status(value: Any) -> str | None:
    return value.get("status") if isinstance(value, dict) else None


def _rollout_status(value: Any) -> str | None:
    return value.get("packageRolloutStatus") if isinstance(value, dict) else None


def types_of(entry: Entry) -> tuple[E, ...]:
    """The events an audited change is (none for most)."""
    if entry.action == "submission.status":
        status = _status(entry.after) or ""
        if status == "Published":
            return (E.SUBMISSION_STATUS_CHANGED, E.SUBMISSION_PUBLISHED)
        failed = (E.SUBMISSION_FAILED,) if status.endswith("Failed") else ()
        return (E.SUBMISSION_STATUS_CHANGED, *failed)
    found = _BY_ACTION.get(entry.action, ())
    if entry.action == "plan.abort" and _rollout_status(entry.before) != _rollout_status(entry.after):
        found = (*found, E.ROLLOUT_HALTED)  # the abort halted the rollout too
    return found


def data(entry: Entry, event_type: E, subject: dict[str, Any]) -> dict[str, Any]:
    """The event's `data`: the subject (submission, flight, the plan or pending change), who did it, why, and
    the audited before/after; a halt by the health guard carries the guard's numbers as `checks`."""
    after = entry.after if isinstance(entry.after, dict) else {}
    body: dict[str, Any] = {
        **subject,
        "resourceType": entry.resource_type,
        "resourceId": entry.resource_id,
        "action": entry.action,
        "actor": entry.actor.as_json(),
        "automatic": entry.actor.kind == ActorKind.SERVER,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
        "correlationId": entry.correlation_id,
    }
    if event_type == E.ROLLOUT_HALTED:
        body["haltedBy"] = "guard" if entry.action == "plan.guard_halt" else "person"
    if "checks" in after:
        body["checks"] = after["checks"]
    return body
