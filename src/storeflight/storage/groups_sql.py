"""Flight-group and flight-modification statements (mixed into SqlTx)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storeflight.domain.models import Flight, FlightGroup
from storeflight.storage import tables as t
from storeflight.storage.protocol import Page, StorageConflict

BATCH = 5_000


def _batches(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _group(row: Any) -> FlightGroup:
    created = row.created_at
    if created.tzinfo is None:  # SQLite returns naive datetimes; every stored value is UTC
        created = created.replace(tzinfo=UTC)
    return FlightGroup(id=row.id, tenant_id=row.tenant_id, name=row.name, created_at=created)


class GroupsSql:
    """Flight groups, their members in bulk, and flight updates."""

    conn: Connection
    lock_rows: bool

    def get_group(self, tenant_id: str, group_id: str, *, lock: bool = False) -> FlightGroup | None:
        g = t.flight_groups
        query = select(g).where(g.c.id == group_id, g.c.tenant_id == tenant_id)
        if lock and self.lock_rows:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _group(row) if row is not None else None

    def list_groups_page(self, tenant_id: str, *, skip: int, top: int) -> Page[tuple[FlightGroup, int]]:
        g, m = t.flight_groups, t.group_members
        total = self.conn.scalar(select(func.count()).select_from(g).where(g.c.tenant_id == tenant_id)) or 0
        page = (
            select(g).where(g.c.tenant_id == tenant_id).order_by(g.c.created_at, g.c.id).offset(skip).limit(top)
        ).subquery()
        count = select(func.count()).where(m.c.group_id == page.c.id).scalar_subquery()
        query = select(page, count.label("n")).order_by(page.c.created_at, page.c.id)
        return Page([(_group(row), int(row.n)) for row in self.conn.execute(query)], total)

    def rename_group(self, group_id: str, name: str) -> None:
        self.conn.execute(update(t.flight_groups).where(t.flight_groups.c.id == group_id).values(name=name))

    def group_in_use(self, group_id: str) -> bool:
        links = t.flight_group_links
        return bool(self.conn.scalar(select(exists().where(links.c.group_id == group_id))))

    def delete_group(self, group_id: str) -> None:
        self.conn.execute(delete(t.group_members).where(t.group_members.c.group_id == group_id))
        self.conn.execute(delete(t.flight_groups).where(t.flight_groups.c.id == group_id))

    def add_members(self, group_id: str, members: Sequence[str]) -> None:
        statement: Any
        if self.conn.dialect.name == "postgresql":
            statement = postgresql.insert(t.group_members).on_conflict_do_nothing()
        else:
            statement = insert(t.group_members).prefix_with("OR IGNORE")
        for batch in _batches(members):
            self.conn.execute(statement, [{"group_id": group_id, "member": m} for m in batch])

    def remove_members(self, group_id: str, members: Sequence[str]) -> None:
        m = t.group_members
        for batch in _batches(members):
            self.conn.execute(delete(m).where(m.c.group_id == group_id, m.c.member.in_(list(batch))))

    def count_members(self, group_id: str) -> int:
        m = t.group_members
        return int(self.conn.scalar(select(func.count()).select_from(m).where(m.c.group_id == group_id)) or 0)

    def list_members(self, group_id: str, *, skip: int, top: int) -> list[str]:
        m = t.group_members
        query = select(m.c.member).where(m.c.group_id == group_id).order_by(m.c.member).offset(skip).limit(top)
        return list(self.conn.scalars(query))

    def update_flight(self, flight: Flight) -> None:
        f, links = t.flights, t.flight_group_links
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(f).where(f.c.id == flight.id).values(friendly_name=flight.friendly_name, rank=flight.rank)
                )
        except IntegrityError as error:
            raise StorageConflict("uq_flights_app_name") from error
        self.conn.execute(delete(links).where(links.c.flight_id == flight.id))
        rows = [{"flight_id": flight.id, "group_id": g, "position": i} for i, g in enumerate(flight.group_ids)]
        if rows:
            self.conn.execute(insert(links), rows)
