"""What the operations endpoints read (mixed into SqlTx): the schema revision and the pipeline's queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, or_, select, text
from sqlalchemy.engine import Connection

from storeflight.storage import tables as t


class OpsSql:
    conn: Connection

    def schema_revision(self) -> str | None:
        return self.conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def pipeline_queue(self, now: datetime) -> list[tuple[str, int, datetime | None]]:
        s = t.submissions
        waiting = (s.c.next_run_at <= now) & or_(s.c.lease_until.is_(None), s.c.lease_until < now)
        rows = self.conn.execute(
            select(s.c.status, func.count(), func.min(case((waiting, s.c.next_run_at))))
            .where(s.c.next_run_at.is_not(None))
            .group_by(s.c.status)
        )
        return [(str(status), int(count), due) for status, count, due in rows]
