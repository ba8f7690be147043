"""Migrations: a new database is created with one log line (Alembic's step-by-step INFO lines stay quiet), and
upgrading a database with data to per-app delivery versions and the blob ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from storeflight.domain import ids
from storeflight.domain.models import FileStatus, Package
from storeflight.storage import tables as t
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import HEAD_REVISION, current_revision, migrate
from storeflight.storage.sql import _submission_values
from tests.storage.conftest import upgrade_to
from tests.storage.test_conformance import _app, _submission


def test_a_new_database_is_created_with_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    with caplog.at_level(logging.INFO):
        migrate(engine)
        migrate(engine)  # already current: nothing to say
    assert current_revision(engine) == HEAD_REVISION
    assert [r.name for r in caplog.records if r.name.startswith("alembic")] == []
    ours = [r.getMessage() for r in caplog.records if r.name == "storeflight.storage"]
    assert ours == [f"database schema created: now at revision {HEAD_REVISION}"]
    assert logging.getLogger("alembic").level == logging.NOTSET  # left as it was
    engine.dispose()


def test_upgrading_gives_apps_versions_blobs_ledger_rows_and_tenants_their_member_counts(empty_database: str) -> None:
    engine = make_engine(empty_database)
    upgrade_to(engine, "0005")
    app = _app("tenant-old")
    package = Package(file_name="a.msix", file_status=FileStatus.UPLOADED, id=ids.new_decimal_id(), size=1234)
    sub = _submission("tenant-old", app.id).model_copy(update={"upload_blob_id": "up-1", "packages": [package]})
    with engine.begin() as conn:
        conn.execute(
            insert(t.applications).values(id=app.id, tenant_id=app.tenant_id, doc={}, created_at=app.created_at)
        )
        conn.execute(insert(t.submissions).values(**_submission_values(sub), created_at=sub.created_at))
        conn.execute(
            insert(t.flight_groups).values(id="7", tenant_id="tenant-old", name="g", created_at=app.created_at)
        )
        conn.execute(insert(t.group_members), [{"group_id": "7", "member": m} for m in ("a", "b", "c")])
    migrate(engine)
    with engine.connect() as conn:
        versions = conn.execute(select(t.delivery_versions.c.app_id, t.delivery_versions.c.tenant_id)).all()
        blobs = set(conn.execute(select(t.stored_blobs)).all())
        usage = conn.execute(select(t.tenant_usage)).all()
    engine.dispose()
    assert versions == [(app.id, "tenant-old")]
    assert usage == [("tenant-old", 3)]
    assert blobs == {("up-1", "tenant-old", False, 0), (f"pkg-{package.id}", "tenant-old", True, 1234)}
