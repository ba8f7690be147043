"""The approval rule as a pure function: which attempts a rule meets, combined requirements, who may approve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storeflight.approvals.rules import (
    ANY_ROLE,
    Action,
    Approval,
    Attempt,
    Rule,
    judge,
    meets,
    missing,
    requirement,
    satisfied,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def rule(action: Action, *, id: str = "r1", flight: str | None = None, **kw: object) -> Rule:
    return Rule(id=id, tenant_id="t", app_id="APP", flight_id=flight, action=action, **kw)  # type: ignore[arg-type]


def rollout_rule(above: float, **kw: object) -> Rule:
    return rule(Action.ROLLOUT, above_percentage=above, approvals=1, **kw)


@pytest.mark.parametrize(
    ("current", "target", "guarded"),
    [(10, 50, False), (10, 50.0001, True), (60, 80, True), (80, 60, False), (60, 60, False), (0, 100, True)],
)
def test_a_rollout_rule_guards_raises_past_its_percentage(current: float, target: float, guarded: bool) -> None:
    attempt = Attempt(Action.ROLLOUT, "APP", None, percentage=target, current=current)
    assert meets(rollout_rule(50), attempt) is guarded


def test_a_rollout_rule_guards_finalize_and_a_commit_that_starts_above_it() -> None:
    r = rollout_rule(50)
    assert meets(r, Attempt(Action.FINALIZE, "APP", None, percentage=100, current=20))
    assert meets(r, Attempt(Action.COMMIT, "APP", None, percentage=100))  # no gradual rollout: 100 at once
    assert not meets(r, Attempt(Action.COMMIT, "APP", None, percentage=10))
    assert not meets(r, Attempt(Action.PUBLISH, "APP", None))


def test_a_commit_rule_guards_flight_commits_only() -> None:
    r = rule(Action.COMMIT, approvals=1)
    assert meets(r, Attempt(Action.COMMIT, "APP", "f1", percentage=10))
    assert not meets(r, Attempt(Action.COMMIT, "APP", None, percentage=10))


def test_scope_app_wide_or_one_flight_and_never_another_app() -> None:
    wide, one = rule(Action.PUBLISH, approvals=1), rule(Action.PUBLISH, approvals=1, flight="f1")
    assert meets(wide, Attempt(Action.PUBLISH, "APP", None)) and meets(wide, Attempt(Action.PUBLISH, "APP", "f2"))
    assert meets(one, Attempt(Action.PUBLISH, "APP", "f1"))
    assert not meets(one, Attempt(Action.PUBLISH, "APP", "f2")) and not meets(one, Attempt(Action.PUBLISH, "APP", None))
    assert not meets(wide, Attempt(Action.PUBLISH, "OTHER", None))
    assert not meets(wide, Attempt(Action.FINALIZE, "APP", None))


def test_no_rule_met_means_no_requirement() -> None:
    assert requirement([rollout_rule(50)], Attempt(Action.ROLLOUT, "APP", None, 40, 10)) is None


def test_combined_rules_take_the_highest_count_per_role_and_the_strictest_self_approval() -> None:
    rules = [
        rule(Action.FINALIZE, id="a", approvals=1, role="qa", allow_self_approval=True),
        rule(Action.FINALIZE, id="b", approvals=2, role="qa", allow_self_approval=True),
        rule(Action.FINALIZE, id="c", approvals=1, role="release", expires_after=timedelta(hours=2)),
        rollout_rule(50, id="d", allow_self_approval=True),
    ]
    found = requirement(rules, Attempt(Action.FINALIZE, "APP", None, 100, 30))
    assert found is not None
    assert found.rule_ids == ("a", "b", "c", "d")
    assert found.roles == {"qa": 2, "release": 1, ANY_ROLE: 1}
    assert found.allow_self_approval is False  # c does not allow it
    assert found.expires_after == timedelta(hours=2)


def _needs(roles: dict[str, int], allow_self: bool = False):  # type: ignore[no-untyped-def]
    found = requirement(
        [
            rule(Action.PUBLISH, id=f"r{i}", approvals=n, role=role, allow_self_approval=allow_self)
            for i, (role, n) in enumerate(roles.items())
        ],
        Attempt(Action.PUBLISH, "APP", None),
    )
    assert found is not None
    return found


def test_missing_counts_distinct_clients_per_role() -> None:
    needed = _needs({"qa": 2, ANY_ROLE: 3})
    given = [Approval("x", "qa", NOW), Approval("y", "qa", NOW)]
    assert missing(needed, given) == {ANY_ROLE: 1}
    assert not satisfied(needed, given)
    assert satisfied(needed, [*given, Approval("z", ANY_ROLE, NOW)])


def test_the_requester_cannot_approve_unless_every_rule_allows_it() -> None:
    strict, lenient = _needs({"qa": 1}), _needs({"qa": 1}, allow_self=True)
    refused = judge(strict, [], approver="me", roles=["qa"], requester="me")
    assert not refused.allowed and "own change" in refused.reason
    assert judge(lenient, [], approver="me", roles=["qa"], requester="me").allowed


def test_an_approver_needs_a_missing_role_and_approves_once() -> None:
    needed = _needs({"qa": 1, "release": 1})
    assert not judge(needed, [], approver="x", roles=["dev"], requester="r").allowed
    first = judge(needed, [], approver="x", roles=["release", "qa"], requester="r")
    assert first.allowed and first.role == "qa"  # a missing role, in name order
    after = [Approval("x", "qa", NOW)]
    assert not judge(needed, after, approver="x", roles=["release"], requester="r").allowed  # once per client
    assert judge(needed, after, approver="y", roles=["release"], requester="r").role == "release"
    assert not judge(needed, after, approver="y", roles=["qa"], requester="r").allowed  # qa is complete


def test_any_client_may_fill_an_any_role_requirement() -> None:
    verdict = judge(_needs({ANY_ROLE: 1}), [], approver="x", roles=[], requester="r")
    assert verdict.allowed and verdict.role == ANY_ROLE
