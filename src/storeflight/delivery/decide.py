"""Which submission's packages a customer's device gets, and why (store-api.md section 4).

Pure: a frozen `AppView` snapshot and one `Device` in, a `Decision` out. No I/O, never raises for bad input.
What depends only on the snapshot (the line a customer's groups lead to, its rollout plan, the packages for a
device kind) is memoised on the snapshot by `delivery.lines`; a decision adds the customer's bucket.
"""

from __future__ import annotations

from collections.abc import Collection

from storeflight.delivery.bucket import bucket_in
from storeflight.delivery.lines import DEVICE_KIND, answer, line_of, remember
from storeflight.delivery.model import AppView, Decision, Device, Explanation
from storeflight.delivery.reasons import Reason

__all__ = ["Reason", "decide"]

# An enum member costs a class attribute lookup through the enum machinery: the hot path reads plain names.
_HALTED, _IN_ROLLOUT, _MANUAL_SEEK = Reason.HALTED, Reason.IN_ROLLOUT, Reason.MANUAL_SEEK
_OUTSIDE_ROLLOUT, _NO_FALLBACK = Reason.OUTSIDE_ROLLOUT, Reason.NO_FALLBACK


def decide(app: AppView, device: Device, groups: Collection[str]) -> Decision:
    """The decision for `device` of a customer whose flight group ids are `groups`."""
    line = line_of(app, groups)
    plan = line.plan
    if plan is None:
        return line.nothing  # type: ignore[return-value]  # set whenever there is no plan
    if plan.constant:  # the same for every device of a kind: memoised
        kind = device[DEVICE_KIND]
        decision = line.decisions.get(kind)
        if decision is None:
            latest = plan.latest
            decision = answer(line, latest, plan.reason, latest.applicable(device), line.explanation, device)
            remember(line, kind, decision)
        return decision
    position = bucket_in(plan.hasher, device.customer_id)
    limit = plan.limit
    if plan.halted:
        sub, reason, inside = plan.fallback, _HALTED, False
    elif position < limit:
        sub, reason, inside = plan.latest, _IN_ROLLOUT, True
    elif app.is_seek_enabled and device.manual_check:
        sub, reason, inside = plan.latest, _MANUAL_SEEK, False
    else:
        sub, reason, inside = plan.fallback, _OUTSIDE_ROLLOUT, False
    explanation = Explanation(line.ids, line.flight_id, position, limit, inside, line.notes)
    key = (device[DEVICE_KIND], reason)
    head = line.decisions.get(key)  # all but the explanation, the same for every such device
    if head is None:
        if sub is None:
            head = answer(line, None, _NO_FALLBACK, (), explanation, device)[:-1]
        else:
            head = answer(line, sub, reason, sub.applicable(device), explanation, device)[:-1]
        remember(line, key, head)
    return Decision._make((*head, explanation))
