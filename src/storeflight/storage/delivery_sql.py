"""What the delivery snapshot reads, and the per-app versions that tell every process to rebuild it (mixed into
SqlTx). One row per app: a change bumps only the apps it touches, so one tenant's changes never make another
tenant's snapshots rebuild."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import Submission
from storeflight.storage import tables as t

_GROUPS_PER_QUERY = 500


class DeliverySql:
    conn: Connection

    def published_submissions(self, app_id: str) -> list[Submission]:
        s = t.submissions
        query = select(s.c.doc).where(s.c.app_id == app_id, s.c.status == Status.PUBLISHED.value)
        return [Submission.model_validate(doc) for doc in self.conn.scalars(query)]

    def published_apps(self) -> list[tuple[str, str]]:
        s = t.submissions
        query = (
            select(s.c.tenant_id, s.c.app_id)
            .where(s.c.status == Status.PUBLISHED.value)
            .group_by(s.c.tenant_id, s.c.app_id)
            .order_by(s.c.tenant_id, s.c.app_id)
        )
        return [(tenant, app) for tenant, app in self.conn.execute(query)]

    def group_members(self, group_ids: Sequence[str]) -> Iterator[tuple[str, str]]:
        m = t.group_members
        # A few hundred groups per query: memory stays bounded for a million memberships (reads run in
        # autocommit on PostgreSQL, where server-side cursors are not available) and SQLite's limit on
        # bound parameters is never reached.
        for start in range(0, len(group_ids), _GROUPS_PER_QUERY):
            batch = list(group_ids[start : start + _GROUPS_PER_QUERY])
            yield from self.conn.execute(select(m.c.group_id, m.c.member).where(m.c.group_id.in_(batch)))

    def delivery_versions(self, app_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        v = t.delivery_versions
        found: dict[str, tuple[int, int]] = {}
        for begin in range(0, len(app_ids), _GROUPS_PER_QUERY):
            batch = list(app_ids[begin : begin + _GROUPS_PER_QUERY])
            rows = self.conn.execute(select(v.c.app_id, v.c.state, v.c.members).where(v.c.app_id.in_(batch)))
            found.update((app_id, (state, members)) for app_id, state, members in rows)
        return {app_id: found.get(app_id, (0, 0)) for app_id in app_ids}

    def bump_delivery_version(self, tenant_id: str, app_id: str, *, members: bool = False) -> None:
        v = t.delivery_versions
        changes: dict[str, Any] = {"state": v.c.state + 1}
        if members:
            changes["members"] = v.c.members + 1
        if self.conn.execute(update(v).where(v.c.app_id == app_id).values(**changes)).rowcount:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(v).values(app_id=app_id, tenant_id=tenant_id, state=1, members=int(members)))
        except IntegrityError:  # another writer created it first
            self.conn.execute(update(v).where(v.c.app_id == app_id).values(**changes))

    def bump_group_delivery(self, tenant_id: str, group_id: str) -> list[str]:
        f, links = t.flights, t.flight_group_links
        apps = self.conn.scalars(
            select(f.c.app_id)
            .join(links, links.c.flight_id == f.c.id)
            .where(links.c.group_id == group_id, f.c.tenant_id == tenant_id)
            .distinct()
            .order_by(f.c.app_id)
        ).all()
        for app_id in apps:
            self.bump_delivery_version(tenant_id, app_id, members=True)
        return list(apps)
