"""Pending changes: an action that waits for approvals, as a plain frozen record."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from storeflight.approvals.rules import Action, Approval, Requirement


class ChangeStatus(StrEnum):
    PENDING = "pending"  # waiting for approvals
    APPLIED = "applied"  # the approvals arrived and the action was carried out
    FAILED = "failed"  # the approvals arrived but the action could not be carried out any more (`reason`)
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True)
class PendingChange:
    id: str
    tenant_id: str
    app_id: str
    flight_id: str | None
    submission_id: str
    action: Action
    params: dict[str, Any]  # what the action needs when applied: {"percentage": n} for a rollout
    requirement: Requirement
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    status: ChangeStatus = ChangeStatus.PENDING
    approvals: tuple[Approval, ...] = ()
    revision: int = 1  # moves on every change of `params`; approvals are cleared with it
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None

    def status_at(self, now: datetime) -> ChangeStatus:
        """The status as of `now`: a pending change past its expiry is expired even before anyone writes so."""
        if self.status == ChangeStatus.PENDING and now >= self.expires_at:
            return ChangeStatus.EXPIRED
        return self.status

    def revised(self, params: dict[str, Any], requirement: Requirement, expires_at: datetime) -> PendingChange:
        """The change with new parameters: every approval given so far is cleared."""
        return replace(
            self,
            params=params,
            requirement=requirement,
            expires_at=expires_at,
            approvals=(),
            revision=self.revision + 1,
        )
