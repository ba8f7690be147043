"""Device reports' statements (mixed into SqlTx): event ids, device states and hourly counters.

Exact under concurrency on both backends: an event id is new for exactly one transaction (the primary key
decides), a device's state row is locked before it is read (created empty first, so two first batches of one
device serialise too), and counters are added with one upsert, never read and written back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from storeflight.storage import tables as t
from storeflight.telemetry.cohort import Cohort
from storeflight.telemetry.tally import COUNTERS, Counts, DeviceState, RowKey

_EMPTY_HOUR = -1  # a state row created only to be locked: the device had no state yet


def _insert(conn: Connection, table: Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


class _Statements:
    """Built once per dialect and executed with many parameter sets: SQLAlchemy compiles each only once."""

    def __init__(self, dialect: Any) -> None:
        r, h = t.device_report_ids, t.device_report_hours
        self.new_ids = dialect.insert(r).on_conflict_do_nothing().returning(r.c.key)
        upsert = dialect.insert(h)
        keys = ["app_id", "line", "rollout_submission_id", "cohort", "submission_id", "version", "hour"]
        added = {name: h.c[name] + upsert.excluded[name] for name in COUNTERS}
        self.add_counts = upsert.on_conflict_do_update(index_elements=keys, set_=added)


_STATEMENTS = {"postgresql": _Statements(postgresql), "sqlite": _Statements(sqlite)}


class ReportsSql:
    conn: Connection
    lock_rows: bool

    def add_report_ids(self, keys: Sequence[bytes], hour: int) -> set[bytes]:
        if not keys:
            return set()
        statement = _STATEMENTS[self.conn.dialect.name].new_ids
        return set(self.conn.scalars(statement, [{"key": k, "hour": hour} for k in keys]))

    def lock_device(self, tenant_id: str, app_id: str, device: bytes) -> DeviceState | None:
        s = t.device_states
        empty: dict[str, object] = {"app_id": app_id, "device": device, "tenant_id": tenant_id, "line": ""}
        empty["cohort"] = "all"
        empty |= {"rollout_submission_id": "", "submission_id": "", "version": "", "hour": _EMPTY_HOUR, "counted": ""}
        self.conn.execute(_insert(self.conn, s).values(**empty).on_conflict_do_nothing())
        query = select(s).where(s.c.app_id == app_id, s.c.device == device)
        if self.lock_rows:
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        if row.hour == _EMPTY_HOUR:
            return None
        return DeviceState(
            line=row.line,
            rollout_submission_id=row.rollout_submission_id,
            cohort=Cohort(row.cohort),
            submission_id=row.submission_id,
            version=row.version,
            hour=row.hour,
            counted=tuple(row.counted.split(" ")) if row.counted else (),
        )

    def save_device(self, app_id: str, device: bytes, state: DeviceState) -> None:
        s = t.device_states
        values = {
            "line": state.line,
            "rollout_submission_id": state.rollout_submission_id,
            "cohort": state.cohort.value,
            "submission_id": state.submission_id,
            "version": state.version,
            "hour": state.hour,
            "counted": " ".join(state.counted),
        }
        self.conn.execute(update(s).where(s.c.app_id == app_id, s.c.device == device).values(**values))

    def add_report_counts(self, tenant_id: str, app_id: str, hour: int, rows: Mapping[RowKey, Counts]) -> None:
        if not rows:
            return
        values = [
            {
                "app_id": app_id,
                "line": key.line,
                "rollout_submission_id": key.rollout_submission_id,
                "cohort": key.cohort.value,
                "submission_id": key.submission_id,
                "version": key.version,
                "hour": hour,
                "tenant_id": tenant_id,
                **counts.as_dict(),
            }
            for key, counts in rows.items()
        ]
        self.conn.execute(_STATEMENTS[self.conn.dialect.name].add_counts, values)

    def report_hours(self, app_id: str, line: str, since_hour: int) -> list[tuple[RowKey, int, Counts]]:
        h = t.device_report_hours
        query = select(h).where(h.c.app_id == app_id, h.c.line == line, h.c.hour >= since_hour).order_by(h.c.hour)
        return [
            (
                RowKey(row.line, row.rollout_submission_id, Cohort(row.cohort), row.submission_id, row.version),
                row.hour,
                Counts(**{name: int(getattr(row, name)) for name in COUNTERS}),
            )
            for row in self.conn.execute(query)
        ]

    def device_counts(self, app_id: str, line: str) -> list[tuple[str, Cohort, str, str, int]]:
        s = t.device_states
        columns = (s.c.rollout_submission_id, s.c.cohort, s.c.submission_id, s.c.version)
        query = (
            select(*columns, func.count())
            .where(s.c.app_id == app_id, s.c.line == line, s.c.hour != _EMPTY_HOUR)
            .group_by(*columns)
        )
        return [(r, Cohort(c), sub, v, int(n)) for r, c, sub, v, n in self.conn.execute(query)]

    def prune_report_ids(self, before_hour: int, limit: int) -> int:
        r = t.device_report_ids
        oldest = select(r.c.key).where(r.c.hour < before_hour).limit(limit).scalar_subquery()
        return int(self.conn.execute(r.delete().where(r.c.key.in_(oldest))).rowcount or 0)

    def delete_app_reports(self, app_id: str) -> None:
        for table in (t.device_states, t.device_report_hours):
            self.conn.execute(table.delete().where(table.c.app_id == app_id))
