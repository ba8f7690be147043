"""Migrating a new database says so in one line; Alembic's step-by-step INFO lines stay quiet."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import HEAD_REVISION, current_revision, migrate


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
