"""What the delivery snapshot reads, and the version that tells every process to rebuild it (mixed into SqlTx)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import cast, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import Integer, Text

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import Submission
from storeflight.storage import tables as t

DELIVERY_VERSION = "delivery_version"  # published state, rollouts, flights
MEMBERS_VERSION = "delivery_members_version"  # who is in which group of a flight
_KEYS = (DELIVERY_VERSION, MEMBERS_VERSION)
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

    def delivery_versions(self) -> tuple[int, int]:
        st = t.settings
        rows = dict(self.conn.execute(select(st.c.key, st.c.value).where(st.c.key.in_(_KEYS))).all())
        return int(rows.get(DELIVERY_VERSION, 0)), int(rows.get(MEMBERS_VERSION, 0))

    def bump_delivery_version(self, *, members: bool = False) -> None:
        self._bump(DELIVERY_VERSION)
        if members:
            self._bump(MEMBERS_VERSION)

    def _bump(self, key: str) -> None:
        st = t.settings
        plus_one = cast(cast(st.c.value, Integer) + 1, Text)
        if self.conn.execute(update(st).where(st.c.key == key).values(value=plus_one)).rowcount:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(st).values(key=key, value="1"))
        except IntegrityError:  # another writer created it first
            self.conn.execute(update(st).where(st.c.key == key).values(value=plus_one))
