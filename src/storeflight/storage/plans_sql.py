"""Rollout plans and their events (mixed into SqlTx); the worker's claim is a lease, like the pipeline's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storeflight.plans.model import Plan, PlanState
from storeflight.plans.stored import PlanEvent, StoredPlan
from storeflight.storage import tables as t
from storeflight.storage.protocol import StorageConflict

MAX_EVENTS = 500


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite returns naive datetimes (all UTC)
        return value.replace(tzinfo=UTC)
    return value


def _plan(row: Row[Any]) -> StoredPlan:
    m = row._mapping
    created, updated = _utc(m["created_at"]), _utc(m["updated_at"])
    assert created is not None and updated is not None
    return StoredPlan(
        id=m["id"],
        tenant_id=m["tenant_id"],
        app_id=m["app_id"],
        flight_id=m["flight_id"],
        submission_id=m["submission_id"],
        plan=Plan.model_validate(m["plan"]),
        state=PlanState.model_validate(m["state"]),
        created_at=created,
        updated_at=updated,
        next_run_at=_utc(m["next_run_at"]),
        revision=m["revision"],
    )


def _values(plan: StoredPlan) -> dict[str, Any]:
    return {
        "plan": plan.plan.model_dump(mode="json", by_alias=True),
        "state": plan.state.model_dump(mode="json", by_alias=True),
        "revision": plan.revision,
        "next_run_at": plan.next_run_at,
        "updated_at": plan.updated_at,
    }


class PlansSql:
    conn: Connection
    lock_rows: bool

    def add_plan(self, plan: StoredPlan) -> None:
        ids = {k: getattr(plan, k) for k in ("id", "tenant_id", "app_id", "flight_id", "submission_id", "created_at")}
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.rollout_plans).values(**ids, **_values(plan)))
        except IntegrityError as error:
            raise StorageConflict("rollout_plans_submission_id") from error

    def get_plan(self, tenant_id: str, submission_id: str, *, lock: bool = False) -> StoredPlan | None:
        p = t.rollout_plans
        query = select(p).where(p.c.submission_id == submission_id, p.c.tenant_id == tenant_id)
        if lock and self.lock_rows:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _plan(row) if row is not None else None

    def save_plan(self, plan: StoredPlan, *, owner: str | None = None) -> bool:
        """Save at `plan.revision` if the stored one is the revision before (and, with `owner`, the lease is
        still held; the lease is released)."""
        p = t.rollout_plans
        where = [p.c.id == plan.id, p.c.revision == plan.revision - 1]
        values = _values(plan)
        if owner is not None:
            where.append(p.c.lease_owner == owner)
            values |= {"lease_owner": None, "lease_until": None}
        return self.conn.execute(update(p).where(*where).values(**values)).rowcount == 1

    def claim_plan(self, *, now: datetime, owner: str, lease_until: datetime) -> StoredPlan | None:
        p = t.rollout_plans
        due = (
            select(p.c.id)
            .where(p.c.next_run_at <= now, p.c.lease_until.is_(None) | (p.c.lease_until < now))
            .order_by(p.c.next_run_at)
            .limit(1)
        )
        if self.lock_rows:
            due = due.with_for_update(skip_locked=True)
        row = self.conn.execute(
            update(p)
            .where(p.c.id == due.scalar_subquery())
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(*p.c)
        ).first()
        return _plan(row) if row is not None else None

    def add_plan_event(self, event: PlanEvent) -> PlanEvent:
        """Append with the next sequence number (the plan row is locked or CAS-guarded by the caller)."""
        e = t.rollout_plan_events
        last = self.conn.scalar(select(func.max(e.c.seq)).where(e.c.plan_id == event.plan_id)) or 0
        stored = PlanEvent(**{**event.__dict__, "seq": last + 1})
        self.conn.execute(insert(e).values(**stored.__dict__))
        return stored

    def plan_events(self, plan_id: str, *, limit: int = MAX_EVENTS) -> list[PlanEvent]:
        """The plan's latest `limit` events, oldest first."""
        e = t.rollout_plan_events
        rows = self.conn.execute(select(e).where(e.c.plan_id == plan_id).order_by(e.c.seq.desc()).limit(limit))
        events = [PlanEvent(**{**row._mapping, "at": _utc(row._mapping["at"])}) for row in rows]
        return events[::-1]
