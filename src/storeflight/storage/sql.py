"""The SQLAlchemy implementation of the storage Protocol, shared by SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from storeflight.domain import versions
from storeflight.domain.errors import StorageFull
from storeflight.domain.lifecycle import Status, is_pending
from storeflight.domain.models import ApiClient, Application, Fault, Flight, FlightGroup, Submission
from storeflight.storage import tables as t
from storeflight.storage.approvals_sql import ApprovalsSql
from storeflight.storage.audit_sql import AuditSql
from storeflight.storage.delivery_sql import DeliverySql
from storeflight.storage.devices_sql import DevicesSql
from storeflight.storage.engine import WRITE_OPTION
from storeflight.storage.garbage_sql import GarbageSql
from storeflight.storage.groups_sql import GroupsSql
from storeflight.storage.hot_reads import HotReads
from storeflight.storage.ops_sql import OpsSql
from storeflight.storage.plans_sql import PlansSql
from storeflight.storage.protocol import Page, StorageConflict
from storeflight.storage.reports_sql import ReportsSql
from storeflight.storage.usage_sql import UsageSql
from storeflight.storage.webhooks_sql import WebhooksSql
from storeflight.storage.write_lock import WriteLock


def _utc(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; every stored value is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _disk_full(error: BaseException | None) -> bool:
    """SQLite's SQLITE_FULL (13) or PostgreSQL's disk_full (SQLSTATE 53100)."""
    return getattr(error, "sqlite_errorcode", None) == 13 or getattr(error, "sqlstate", None) == "53100"


def _conflict(error: IntegrityError) -> StorageConflict:
    text = str(error.orig).lower()
    for name in ("uq_submissions_one_pending", "uq_flights_app_name"):
        if name in text:
            return StorageConflict(name)
    if "submissions.parent_key" in text:
        return StorageConflict("uq_submissions_one_pending")
    if "flights.app_id, flights.friendly_name" in text:
        return StorageConflict("uq_flights_app_name")
    return StorageConflict(text[:200])


# Built once: the hot read path should not pay for constructing the statement on every request.
_SUBMISSION_AND_APP = (
    select(t.submissions.c.doc, t.applications.c.doc)
    .join(t.applications, t.applications.c.id == t.submissions.c.app_id)
    .where(t.submissions.c.id == bindparam("sid"), t.submissions.c.tenant_id == bindparam("tid"))
)


class SqlStore:
    """A Store over an SQLAlchemy engine."""

    def __init__(self, engine: Engine, *, audit: bool = True) -> None:
        self.engine = engine
        self.audit = audit  # False: changes are not recorded in the audit history (a benchmark/ops knob)
        self.is_postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time. Writers queue here (this process's, then every process's on the
        # database) instead of sleeping in SQLite's unfair busy handler (which gave multi-second tails).
        self._write_lock = None if self.is_postgres else WriteLock(_database_file(engine))
        self._hot = HotReads(engine)

    def read_submission_and_app(self, tenant_id: str, submission_id: str) -> tuple[Submission, Application] | None:
        """`Tx.get_submission_and_app` without a transaction: one statement on a raw connection (hot_reads)."""
        return self._hot.submission_and_app(tenant_id, submission_id)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[SqlTx]:
        """A transaction; StorageFull (rolled back) when the database's disk is full."""
        try:
            if write and self._write_lock is not None:
                with self._write_lock.held(), self._open(write=True) as tx:
                    yield tx
            else:
                with self._open(write=write) as tx:
                    yield tx
        except DBAPIError as error:
            if _disk_full(error.orig):
                raise StorageFull() from error
            raise

    @contextmanager
    def _open(self, *, write: bool) -> Iterator[SqlTx]:
        with self.engine.connect() as raw:
            if write:
                conn = raw.execution_options(**{WRITE_OPTION: True})
            elif self.is_postgres:
                # Under READ COMMITTED every statement takes its own snapshot even inside a transaction, so
                # BEGIN/COMMIT around reads buys nothing but two round trips.
                conn = raw.execution_options(isolation_level="AUTOCOMMIT")
            else:
                conn = raw
            with conn.begin():
                yield SqlTx(conn, lock_rows=self.is_postgres, audit=self.audit)

    def close(self) -> None:
        self._hot.close()
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()


def _database_file(engine: Engine) -> Path | None:
    database = engine.url.database
    return Path(database) if database and database != ":memory:" and not database.startswith("file:") else None


class PipelineSql:
    """The pipeline's statements (mixed into SqlTx)."""

    conn: Connection
    lock_rows: bool

    def claim_next(self, *, now: datetime, owner: str, lease_until: datetime) -> Submission | None:
        s = t.submissions
        running = s.alias("running")
        busy = select(running.c.tenant_id).where(running.c.lease_until >= now)  # tenants with a stage running
        due = (
            select(s.c.id)
            .where(s.c.next_run_at <= now, (s.c.lease_until.is_(None)) | (s.c.lease_until < now))
            .order_by(s.c.tenant_id.in_(busy), s.c.next_run_at)  # idle tenants first (False sorts first)
            .limit(1)
        )
        if self.lock_rows:
            due = due.with_for_update(of=s, skip_locked=True)
        claimed = self.conn.execute(
            update(s)
            .where(s.c.id == due.scalar_subquery())
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(s.c.doc)
        ).first()
        return Submission.model_validate(claimed[0]) if claimed else None

    def finish(self, submission: Submission, *, owner: str) -> bool:
        s = t.submissions
        values = _submission_values(submission) | {"lease_owner": None, "lease_until": None}
        result = self.conn.execute(update(s).where(s.c.id == submission.id, s.c.lease_owner == owner).values(**values))
        if result.rowcount != 1:
            return False
        record_versions(self.conn, submission)
        return True

    def renew_lease(self, submission_id: str, *, owner: str, lease_until: datetime) -> bool:
        s = t.submissions
        result = self.conn.execute(
            update(s).where(s.c.id == submission_id, s.c.lease_owner == owner).values(lease_until=lease_until)
        )
        return result.rowcount == 1

    def line_highest(self, parent_key: str) -> dict[str, str]:
        v = t.published_versions
        rows = self.conn.execute(
            select(v.c.architecture, func.max(v.c.version_key))
            .where(v.c.parent_key == parent_key)
            .group_by(v.c.architecture)
        )
        return {arch: versions.from_sort_key(key) for arch, key in rows}

    def add_fault(self, fault: Fault, tenant_id: str, now: datetime) -> int:
        values = fault.model_dump(exclude={"id"}) | {"tenant_id": tenant_id, "created_at": now}
        inserted = self.conn.execute(insert(t.fault_injections).values(**values).returning(t.fault_injections.c.id))
        return int(inserted.scalar_one())

    def take_fault(self, app_id: str, stage: str) -> Fault | None:
        f = t.fault_injections
        row = self.conn.execute(
            select(f).where(f.c.app_id == app_id, f.c.stage == stage).order_by(f.c.id).limit(1)
        ).first()
        if row is None:
            return None
        self.conn.execute(delete(f).where(f.c.id == row.id))
        return Fault(id=row.id, app_id=row.app_id, stage=Status(row.stage), code=row.code, details=row.details)

    def add_report(self, token: str, submission_id: str, now: datetime, body: dict[str, Any]) -> None:
        self.conn.execute(
            insert(t.certification_reports).values(token=token, submission_id=submission_id, created_at=now, body=body)
        )

    def get_report(self, token: str) -> dict[str, Any] | None:
        body = self.conn.scalar(select(t.certification_reports.c.body).where(t.certification_reports.c.token == token))
        return dict(body) if body is not None else None


class SqlTx(
    PipelineSql,
    GroupsSql,
    DeliverySql,
    GarbageSql,
    UsageSql,
    DevicesSql,
    ReportsSql,
    AuditSql,
    ApprovalsSql,
    PlansSql,
    OpsSql,
    WebhooksSql,
):
    """One transaction on one connection."""

    def __init__(self, conn: Connection, *, lock_rows: bool, audit: bool = True) -> None:
        self.conn = conn
        self.lock_rows = lock_rows
        self.audit_enabled = audit

    def _insert(self, statement: Any) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(statement)
        except IntegrityError as error:
            raise _conflict(error) from error

    # settings -------------------------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        return self.conn.scalar(select(t.settings.c.value).where(t.settings.c.key == key))

    def set_setting(self, key: str, value: str | None) -> None:
        self.conn.execute(delete(t.settings).where(t.settings.c.key == key))
        if value is not None:
            self.conn.execute(insert(t.settings).values(key=key, value=value))

    def put_setting_if_absent(self, key: str, value: str) -> str:
        existing = self.get_setting(key)
        if existing is not None:
            return existing
        with suppress(StorageConflict):
            self._insert(insert(t.settings).values(key=key, value=value))
        stored = self.get_setting(key)
        assert stored is not None
        return stored

    # clients --------------------------------------------------------------------------------------------
    def add_client(self, client: ApiClient) -> None:
        self.conn.execute(insert(t.clients).values(**client.model_dump()))

    def get_client(self, client_id: str) -> ApiClient | None:
        row = self.conn.execute(select(t.clients).where(t.clients.c.client_id == client_id)).first()
        return _client(row) if row else None

    def list_clients(self, tenant_id: str | None) -> list[ApiClient]:
        query = select(t.clients).order_by(t.clients.c.created_at, t.clients.c.client_id)
        if tenant_id is not None:
            query = query.where(t.clients.c.tenant_id == tenant_id)
        return [_client(row) for row in self.conn.execute(query)]

    def save_client(self, client: ApiClient) -> None:
        values = client.model_dump(exclude={"client_id"})
        self.conn.execute(update(t.clients).where(t.clients.c.client_id == client.client_id).values(**values))

    def delete_client(self, client_id: str) -> bool:
        self.set_client_roles(client_id, "", ())
        result = self.conn.execute(delete(t.clients).where(t.clients.c.client_id == client_id))
        return bool(result.rowcount)

    # applications ---------------------------------------------------------------------------------------
    def delete_app(self, app_id: str) -> None:
        flight_ids = list(self.conn.scalars(select(t.flights.c.id).where(t.flights.c.app_id == app_id)))
        sub_ids = select(t.submissions.c.id).where(t.submissions.c.app_id == app_id).scalar_subquery()
        lines = [f"app:{app_id}", *(f"flight:{f}" for f in flight_ids)]
        self.conn.execute(delete(t.published_versions).where(t.published_versions.c.parent_key.in_(lines)))
        self.conn.execute(delete(t.submission_events).where(t.submission_events.c.submission_id.in_(sub_ids)))
        reports = t.certification_reports
        self.conn.execute(delete(reports).where(reports.c.submission_id.in_(sub_ids)))
        self.conn.execute(delete(t.submissions).where(t.submissions.c.app_id == app_id))
        if flight_ids:
            self.conn.execute(delete(t.flight_group_links).where(t.flight_group_links.c.flight_id.in_(flight_ids)))
        self.conn.execute(delete(t.flights).where(t.flights.c.app_id == app_id))
        self.conn.execute(delete(t.fault_injections).where(t.fault_injections.c.app_id == app_id))
        self.forget_app_devices(app_id)
        self.delete_app_reports(app_id)
        self.forget_app_approvals(app_id)
        self.forget_app_webhooks(app_id)
        self.conn.execute(delete(t.applications).where(t.applications.c.id == app_id))

    def save_app(self, app: Application) -> None:
        statement = update(t.applications).where(t.applications.c.id == app.id)
        self.conn.execute(statement.values(doc=app.model_dump(mode="json")))

    def add_app(self, app: Application) -> None:
        self.conn.execute(
            insert(t.applications).values(
                id=app.id, tenant_id=app.tenant_id, doc=app.model_dump(mode="json"), created_at=app.created_at
            )
        )

    def get_app(self, tenant_id: str, app_id: str, *, lock: bool = False) -> Application | None:
        query = select(t.applications.c.doc).where(
            t.applications.c.id == app_id, t.applications.c.tenant_id == tenant_id
        )
        if lock and self.lock_rows:
            query = query.with_for_update()
        doc = self.conn.scalar(query)
        return Application.model_validate(doc) if doc is not None else None

    def list_apps(self, tenant_id: str | None, *, skip: int, top: int) -> Page[Application]:
        where = [] if tenant_id is None else [t.applications.c.tenant_id == tenant_id]
        total = self.conn.scalar(select(func.count()).select_from(t.applications).where(*where)) or 0
        query = (
            select(t.applications.c.doc)
            .where(*where)
            .order_by(t.applications.c.created_at, t.applications.c.id)
            .offset(skip)
            .limit(top)
        )
        return Page([Application.model_validate(doc) for doc in self.conn.scalars(query)], total)

    # flight groups --------------------------------------------------------------------------------------
    def add_group(self, group: FlightGroup, members: Sequence[str]) -> None:
        self.conn.execute(insert(t.flight_groups).values(**group.model_dump()))
        unique = list(dict.fromkeys(members))
        if unique:
            self.conn.execute(insert(t.group_members), [{"group_id": group.id, "member": m} for m in unique])

    def get_groups(self, tenant_id: str, group_ids: Sequence[str]) -> list[FlightGroup]:
        query = select(t.flight_groups).where(
            t.flight_groups.c.tenant_id == tenant_id, t.flight_groups.c.id.in_(list(group_ids))
        )
        return [_group(row) for row in self.conn.execute(query)]

    def list_groups(self, tenant_id: str | None) -> list[tuple[FlightGroup, int]]:
        counts = (
            select(t.group_members.c.group_id, func.count().label("n")).group_by(t.group_members.c.group_id).subquery()
        )
        query = (
            select(t.flight_groups, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.group_id == t.flight_groups.c.id)
            .order_by(t.flight_groups.c.created_at, t.flight_groups.c.id)
        )
        if tenant_id is not None:
            query = query.where(t.flight_groups.c.tenant_id == tenant_id)
        return [(_group(row), int(row[-1])) for row in self.conn.execute(query)]

    # flights --------------------------------------------------------------------------------------------
    def add_flight(self, flight: Flight) -> None:
        self._insert(insert(t.flights).values(**flight.model_dump(exclude={"group_ids"})))
        links = [{"flight_id": flight.id, "group_id": g, "position": i} for i, g in enumerate(flight.group_ids)]
        if links:
            self.conn.execute(insert(t.flight_group_links), links)

    def get_flight(self, tenant_id: str, app_id: str, flight_id: str) -> Flight | None:
        flights = self._flights(
            t.flights.c.id == flight_id, t.flights.c.tenant_id == tenant_id, t.flights.c.app_id == app_id
        )
        return flights[0] if flights else None

    def list_flights(self, tenant_id: str, app_id: str) -> list[Flight]:
        return self._flights(t.flights.c.tenant_id == tenant_id, t.flights.c.app_id == app_id)

    def _flights(self, *where: Any) -> list[Flight]:
        rows = self.conn.execute(select(t.flights).where(*where)).all()
        if not rows:
            return []
        links = self.conn.execute(
            select(t.flight_group_links)
            .where(t.flight_group_links.c.flight_id.in_([r.id for r in rows]))
            .order_by(t.flight_group_links.c.position)
        ).all()
        groups: dict[str, list[str]] = {}
        for link in links:
            groups.setdefault(link.flight_id, []).append(link.group_id)
        return [_flight(row, groups.get(row.id, [])) for row in rows]

    def set_flight_ranks(self, ranks: dict[str, int]) -> None:
        for flight_id, rank in ranks.items():
            self.conn.execute(update(t.flights).where(t.flights.c.id == flight_id).values(rank=rank))

    def delete_flight(self, flight_id: str) -> None:
        self.conn.execute(delete(t.submissions).where(t.submissions.c.flight_id == flight_id))
        self.conn.execute(delete(t.flight_group_links).where(t.flight_group_links.c.flight_id == flight_id))
        self.conn.execute(delete(t.flights).where(t.flights.c.id == flight_id))

    # submissions ----------------------------------------------------------------------------------------
    def add_submission(self, submission: Submission) -> None:
        values = _submission_values(submission)
        values["created_at"] = submission.created_at
        self._insert(insert(t.submissions).values(**values))
        self._claim_upload_blob(submission.upload_blob_id, submission.tenant_id)
        record_versions(self.conn, submission)

    def get_submission(self, tenant_id: str, submission_id: str, *, lock: bool = False) -> Submission | None:
        query = select(t.submissions.c.doc).where(
            t.submissions.c.id == submission_id, t.submissions.c.tenant_id == tenant_id
        )
        if lock and self.lock_rows:
            query = query.with_for_update()
        doc = self.conn.scalar(query)
        return Submission.model_validate(doc) if doc is not None else None

    def get_submission_and_app(self, tenant_id: str, submission_id: str) -> tuple[Submission, Application] | None:
        row = self.conn.execute(_SUBMISSION_AND_APP, {"sid": submission_id, "tid": tenant_id}).first()
        if row is None:
            return None
        return Submission.model_validate(row[0]), Application.model_validate(row[1])

    def save_submission(self, submission: Submission) -> None:
        statement = (
            update(t.submissions).where(t.submissions.c.id == submission.id).values(**_submission_values(submission))
        )
        try:
            with self.conn.begin_nested():
                self.conn.execute(statement)
        except IntegrityError as error:
            raise _conflict(error) from error
        record_versions(self.conn, submission)

    def upload_tenant(self, blob_name: str) -> str | None:
        s = t.submissions
        return self.conn.scalar(select(s.c.tenant_id).where(s.c.upload_blob_id == blob_name).limit(1))

    def delete_submission(self, submission_id: str) -> None:
        self.conn.execute(delete(t.submissions).where(t.submissions.c.id == submission_id))

    def pending_submission(self, parent_key: str) -> Submission | None:
        doc = self.conn.scalar(
            select(t.submissions.c.doc).where(
                t.submissions.c.parent_key == parent_key, t.submissions.c.is_pending.is_(True)
            )
        )
        return Submission.model_validate(doc) if doc is not None else None

    def last_published(self, parent_key: str) -> Submission | None:
        doc = self.conn.scalar(
            select(t.submissions.c.doc)
            .where(t.submissions.c.parent_key == parent_key, t.submissions.c.status == Status.PUBLISHED.value)
            .order_by(t.submissions.c.published_at.desc(), t.submissions.c.id.desc())
            .limit(1)
        )
        return Submission.model_validate(doc) if doc is not None else None

    def add_event(self, submission_id: str, at: datetime, from_status: str | None, to: str, actor: str) -> None:
        self.conn.execute(
            insert(t.submission_events).values(
                submission_id=submission_id, at=at, from_status=from_status, to_status=to, actor=actor
            )
        )


def record_versions(conn: Connection, submission: Submission) -> None:
    """Keep `published_versions` in step with a published submission's packages (idempotent)."""
    if submission.published_at is None:
        return  # nothing to record; a published submission never goes back to unpublished
    v = t.published_versions
    conn.execute(delete(v).where(v.c.submission_id == submission.id))
    rows = {
        (arch, versions.sort_key(p.version)) for p in submission.packages if p.version for arch in versions.covered(p)
    }
    if rows:
        conn.execute(
            insert(v),
            [
                {
                    "parent_key": submission.parent_key,
                    "submission_id": submission.id,
                    "architecture": a,
                    "version_key": k,
                }
                for a, k in sorted(rows)
            ],
        )


def _submission_values(submission: Submission) -> dict[str, Any]:
    return {
        "id": submission.id,
        "tenant_id": submission.tenant_id,
        "app_id": submission.app_id,
        "flight_id": submission.flight_id,
        "parent_key": submission.parent_key,
        "status": submission.status.value,
        "is_pending": is_pending(submission.status),
        "published_at": submission.published_at,
        "next_run_at": submission.next_run_at,
        "upload_blob_id": submission.upload_blob_id,
        "doc": submission.model_dump(mode="json"),
        "updated_at": datetime.now(UTC),
    }


def _client(row: Row[Any]) -> ApiClient:
    data = dict(row._mapping)
    data["created_at"] = _utc(data["created_at"])
    data["revoked_at"] = _utc(data["revoked_at"])
    return ApiClient.model_validate(data)


def _group(row: Row[Any]) -> FlightGroup:
    return FlightGroup(id=row.id, tenant_id=row.tenant_id, name=row.name, created_at=_utc(row.created_at))


def _flight(row: Row[Any], group_ids: list[str]) -> Flight:
    return Flight(
        id=row.id,
        tenant_id=row.tenant_id,
        app_id=row.app_id,
        friendly_name=row.friendly_name,
        group_ids=group_ids,
        rank=row.rank,
        created_at=_utc(row.created_at),
    )
