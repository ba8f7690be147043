"""What a tenant keeps, counted for its quotas, and the ledger of the blobs it stores (mixed into SqlTx).

Groups and flights are counted when one is about to be added. Memberships, which can number millions, are
kept as a count per tenant that the group use cases move by exactly what they added or removed (under the
group's lock), so the members quota costs one row read. Every submission's
upload archive has a ledger row from the moment the submission exists (so an upload knows its tenant), sized
when an upload is committed; validated packages get theirs when the pipeline keeps them. Discarding a blob
drops its row: deleted things stop counting at once, before the blob itself is deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from storeflight.storage import tables as t


class UsageSql:
    conn: Connection

    def count_groups(self, tenant_id: str) -> int:
        g = t.flight_groups
        return int(self.conn.scalar(select(func.count()).select_from(g).where(g.c.tenant_id == tenant_id)) or 0)

    def count_tenant_members(self, tenant_id: str) -> int:
        u = t.tenant_usage
        return int(self.conn.scalar(select(u.c.members).where(u.c.tenant_id == tenant_id)) or 0)

    def add_tenant_members(self, tenant_id: str, delta: int) -> None:
        u = t.tenant_usage
        statement: Any = _dialect_insert(self.conn, u).values(tenant_id=tenant_id, members=max(delta, 0))
        self.conn.execute(
            statement.on_conflict_do_update(index_elements=["tenant_id"], set_={"members": u.c.members + delta})
        )

    def count_flights(self, tenant_id: str) -> int:
        f = t.flights
        return int(self.conn.scalar(select(func.count()).select_from(f).where(f.c.tenant_id == tenant_id)) or 0)

    def stored_usage(self, tenant_id: str) -> tuple[int, int]:
        b = t.stored_blobs
        query = select(func.coalesce(func.sum(b.c.size), 0), func.count().filter(b.c.is_package.is_(True)))
        total, packages = self.conn.execute(query.where(b.c.tenant_id == tenant_id)).one()
        return int(total), int(packages)

    def blob_owner(self, name: str) -> tuple[str, int] | None:
        b = t.stored_blobs
        row = self.conn.execute(select(b.c.tenant_id, b.c.size).where(b.c.name == name)).first()
        return (row[0], int(row[1])) if row is not None else None

    def record_blob(self, name: str, tenant_id: str, size: int, *, package: bool) -> None:
        values = {"name": name, "tenant_id": tenant_id, "is_package": package, "size": size}
        statement: Any = _dialect_insert(self.conn).values(**values)
        self.conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"size": size}))

    def _claim_upload_blob(self, name: str, tenant_id: str) -> None:
        values = {"name": name, "tenant_id": tenant_id, "is_package": False, "size": 0}
        self.conn.execute(_dialect_insert(self.conn).values(**values).on_conflict_do_nothing())


def _dialect_insert(conn: Connection, table: Table = t.stored_blobs) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
