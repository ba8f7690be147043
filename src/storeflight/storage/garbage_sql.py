"""Blobs no submission needs any more, recorded in the transaction that made them so (mixed into SqlTx).

The row is written with the change (a deleted submission, a published one), and the blob is deleted later
by a pipeline worker: a rolled-back change never loses a blob, and a crash between deleting the blob and
forgetting the row only means deleting it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storeflight.storage import tables as t


class GarbageSql:
    conn: Connection

    def discard_blob(self, name: str, now: datetime) -> None:
        # It stops counting for the tenant's quotas at once (usage_sql.py), before the blob is deleted.
        self.conn.execute(delete(t.stored_blobs).where(t.stored_blobs.c.name == name))
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.blob_garbage).values(name=name, discarded_at=now))
        except IntegrityError:  # already recorded
            pass

    def blob_garbage(self, limit: int, discarded_before: datetime | None = None) -> list[str]:
        g = t.blob_garbage
        query = select(g.c.name).order_by(g.c.discarded_at, g.c.name).limit(limit)
        if discarded_before is not None:
            query = query.where(g.c.discarded_at < discarded_before)
        return list(self.conn.scalars(query))

    def forget_blobs(self, names: Sequence[str]) -> None:
        if names:
            self.conn.execute(delete(t.blob_garbage).where(t.blob_garbage.c.name.in_(list(names))))
