"""The approval rule, in one place and pure: which rules an attempted action meets, what they require
together, and whether the approvals given satisfy it.

A rule guards one action on one app (every line of it) or on one of its flights. When several rules meet
one attempt, their requirements combine as Mozilla Balrog's signoffs do: per role, the highest count; and
self-approval counts only if every one of them allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

ANY_ROLE = ""  # a rule without a role: any API client of the tenant may approve
DEFAULT_EXPIRY = timedelta(days=7)
MAX_EXPIRY = timedelta(days=90)
MAX_APPROVALS = 10
MAX_RULES = 100  # per app


class Action(StrEnum):
    """What a rule can guard."""

    ROLLOUT = "rollout"  # raising a package rollout above `above_percentage` (halting is never guarded)
    FINALIZE = "finalize"  # finalizing a package rollout
    COMMIT = "commit"  # committing a flight submission
    PUBLISH = "publish"  # publishing a submission resting in Release (Manual mode)
    PLAN = "plan"  # changing a rollout plan


@dataclass(frozen=True)
class Rule:
    id: str
    tenant_id: str
    app_id: str
    flight_id: str | None  # None: every line of the app (its flights and its non-flighted submissions)
    action: Action
    approvals: int
    role: str = ANY_ROLE
    above_percentage: float | None = None  # ROLLOUT only: changes that stay at or below it need nothing
    allow_self_approval: bool = False
    expires_after: timedelta = DEFAULT_EXPIRY
    created_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    """An action someone tries: on which line, and for rollouts, from which percentage to which."""

    action: Action
    app_id: str
    flight_id: str | None
    percentage: float | None = None  # the percentage it would set (ROLLOUT; COMMIT: where the rollout starts)
    current: float = 0.0  # the percentage now


@dataclass(frozen=True)
class Requirement:
    """What the rules met by an attempt require together."""

    rule_ids: tuple[str, ...]
    roles: dict[str, int]  # role (ANY_ROLE: any client) -> distinct approvals needed
    allow_self_approval: bool
    expires_after: timedelta


@dataclass(frozen=True)
class Approval:
    client_id: str
    role: str
    at: datetime


@dataclass(frozen=True)
class Verdict:
    """Whether `approver` may approve, and in which role; `reason` says why not."""

    allowed: bool
    role: str = ANY_ROLE
    reason: str = ""
    missing: dict[str, int] = field(default_factory=dict)


def _on_line(rule: Rule, attempt: Attempt) -> bool:
    return rule.app_id == attempt.app_id and (rule.flight_id is None or rule.flight_id == attempt.flight_id)


def _raises_past(threshold: float | None, attempt: Attempt) -> bool:
    target = attempt.percentage
    return target is not None and target > (threshold or 0.0) and target > attempt.current


def meets(rule: Rule, attempt: Attempt) -> bool:
    """Whether the rule guards this attempt.

    A rollout rule also guards finalizing (a raise to 100) and committing a submission whose rollout would
    start above its percentage (a submission without gradual rollout starts at 100), so a release cannot
    skip the signoff that raising it would need.
    """
    if not _on_line(rule, attempt):
        return False
    if rule.action == Action.ROLLOUT:
        return attempt.action in (Action.ROLLOUT, Action.FINALIZE, Action.COMMIT) and _raises_past(
            rule.above_percentage, attempt
        )
    if rule.action == Action.COMMIT:
        return attempt.action == Action.COMMIT and attempt.flight_id is not None
    return rule.action == attempt.action


def requirement(rules: Iterable[Rule], attempt: Attempt) -> Requirement | None:
    """What the rules that meet the attempt require together; None when none does (nothing to wait for)."""
    met = sorted((r for r in rules if meets(r, attempt)), key=lambda r: r.id)
    if not met:
        return None
    roles: dict[str, int] = {}
    for rule in met:
        roles[rule.role] = max(roles.get(rule.role, 0), rule.approvals)
    return Requirement(
        rule_ids=tuple(r.id for r in met),
        roles=roles,
        allow_self_approval=all(r.allow_self_approval for r in met),
        expires_after=min(r.expires_after for r in met),
    )


def missing(required: Requirement, approvals: Sequence[Approval]) -> dict[str, int]:
    """Per role, how many approvals are still needed (roles with none missing are left out).

    An approval counts for the role it was given in, and every approval counts for ANY_ROLE."""
    left: dict[str, int] = {}
    for role, count in required.roles.items():
        have = len({a.client_id for a in approvals if role in (ANY_ROLE, a.role)})
        if have < count:
            left[role] = count - have
    return left


def satisfied(required: Requirement, approvals: Sequence[Approval]) -> bool:
    return not missing(required, approvals)


def judge(
    required: Requirement, approvals: Sequence[Approval], *, approver: str, roles: Iterable[str], requester: str
) -> Verdict:
    """May `approver` (holding `roles`) approve now? The role it approves in is one still missing: a named
    role before ANY_ROLE, in name order."""
    left = missing(required, approvals)
    if approver == requester and not required.allow_self_approval:
        return Verdict(False, reason="The requester cannot approve their own change under this rule.", missing=left)
    if any(a.client_id == approver for a in approvals):
        return Verdict(False, reason="This client has already approved the change.", missing=left)
    held = set(roles)
    useful = sorted(r for r in left if r != ANY_ROLE and r in held)
    if useful:
        return Verdict(True, role=useful[0], missing=left)
    if ANY_ROLE in left:
        return Verdict(True, role=ANY_ROLE, missing=left)
    needed = ", ".join(sorted(r for r in left if r != ANY_ROLE)) or "none"
    return Verdict(
        False, reason=f"The approvals still missing need a role this client does not hold ({needed}).", missing=left
    )
