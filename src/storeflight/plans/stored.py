"""A plan as stored: which submission it drives, its plan and state, when the worker looks at it next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storeflight.plans.model import Plan, PlanState


@dataclass(frozen=True)
class StoredPlan:
    id: str
    tenant_id: str
    app_id: str
    flight_id: str | None
    submission_id: str
    plan: Plan
    state: PlanState
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None = None  # None: nothing to do until someone changes it (paused, ended)
    revision: int = 1


@dataclass(frozen=True)
class PlanEvent:
    """One thing that happened to a plan, in order (`seq` from 1): a step, a halt, a pause by hand, ..."""

    plan_id: str
    seq: int
    at: datetime
    actor: str  # "client:<id>", "server:<worker>", ...
    action: str  # plan.create, plan.step, plan.finalize, plan.guard_halt, plan.pause, ...
    step: int
    percentage: float | None
    reason: str
    numbers: list[dict[str, Any]] = field(default_factory=list)  # the guard's checks, when it decided
