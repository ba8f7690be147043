"""Migrations: a new database is created with one log line (Alembic's step-by-step INFO lines stay quiet), and
upgrading a database with data to per-app delivery versions and the blob ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from storeflight.domain import ids
from storeflight.domain.models import FileStatus, Package
from storeflight.storage import tables as t
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import HEAD_REVISION, MIGRATIONS, current_revision, migrate
from storeflight.storage.sql import _submission_values
from tests.storage.test_conformance import _app, _submission
from tests.support import REQUIRE_PG, postgres_available, postgres_database


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


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not postgres_available():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required here (CI) but not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432; the PostgreSQL variant is skipped")
    with postgres_database() as url:
        yield url


def test_upgrading_gives_apps_versions_blobs_ledger_rows_and_tenants_their_member_counts(empty_url: str) -> None:
    engine = make_engine(empty_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
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
