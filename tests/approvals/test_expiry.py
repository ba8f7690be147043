"""Expiry, through the use cases with a clock passed in: a change past its expiry is expired for readers at
once, cannot be approved, and the same request afterwards makes a new pending change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storeflight.approvals import service
from storeflight.approvals.model import ChangeStatus
from storeflight.approvals.rules import Action
from storeflight.domain import dates
from storeflight.domain.errors import ApprovalRequired, InvalidState
from storeflight.domain.rollout import RolloutAction
from storeflight.services import rollout
from storeflight.services.context import Caller, Context
from storeflight.services.submissions import Parent
from tests.approvals.conftest import MakeClient, rolling_submission
from tests.support import Tenant


def test_a_change_past_its_expiry_is_expired_and_cannot_be_approved(
    tenant: Tenant, app_id: str, colleague: MakeClient
) -> None:
    store = tenant.server.store
    requester = Context(Caller(tenant.tenant_id, tenant.client_id))
    with store.transaction(write=True) as tx:
        service.create_rule(tx, requester, app_id, service.RuleSpec(Action.FINALIZE, expires_after=timedelta(hours=1)))
    flight_id, base = rolling_submission(tenant, app_id)
    submission_id = base.rsplit("/", 1)[1]
    parent = Parent(app_id, flight_id)

    def finalize(ctx: Context) -> str:
        with pytest.raises(ApprovalRequired) as waiting, store.transaction(write=True) as tx:
            rollout.change(tx, ctx, parent, submission_id, RolloutAction.FINALIZE, None)
        return waiting.value.change_id

    first = finalize(requester)  # the error rolled this transaction back: nothing stored
    with store.transaction(write=False) as tx:
        assert tx.get_pending_change(tenant.tenant_id, first) is None
    with store.transaction(write=True) as tx:
        try:
            rollout.change(tx, requester, parent, submission_id, RolloutAction.FINALIZE, None)
        except ApprovalRequired as waiting:
            change_id = waiting.change_id  # kept: the transaction ends normally, as the HTTP layer does

    approver = colleague()
    later = Context(Caller(tenant.tenant_id, approver.client_id), now=dates.utcnow() + timedelta(hours=1, seconds=1))
    with store.transaction(write=False) as tx:
        change = service.get_change(tx, later, change_id)
        assert change.status_at(later.now) == ChangeStatus.EXPIRED
        expired = service.list_changes(tx, later, status=ChangeStatus.EXPIRED, app_id=app_id, skip=0, top=10)
        pending = service.list_changes(tx, later, status=ChangeStatus.PENDING, app_id=app_id, skip=0, top=10)
    assert [c.id for c in expired.items] == [change_id] and pending.total == 0
    with pytest.raises(InvalidState, match="expired"), store.transaction(write=True) as tx:
        service.approve(tx, later, change_id)

    requester_later = Context(Caller(tenant.tenant_id, tenant.client_id), now=later.now)
    with store.transaction(write=True) as tx:
        try:
            rollout.change(tx, requester_later, parent, submission_id, RolloutAction.FINALIZE, None)
        except ApprovalRequired as waiting:
            renewed = waiting.change_id
    assert renewed != change_id
    with store.transaction(write=False) as tx:
        old = tx.get_pending_change(tenant.tenant_id, change_id)
    assert old is not None and old.status == ChangeStatus.EXPIRED  # written as expired when replaced
