"""Bring a database to the newest schema. Safe to run from several processes at once.

A database already at `HEAD_REVISION` is recognised with one query, without loading Alembic: that keeps
`storeflight serve` and the admin commands quick to start.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from storeflight.storage.engine import WRITE_OPTION

MIGRATIONS = Path(__file__).parent / "migrations"
_log = logging.getLogger("storeflight.storage")
HEAD_REVISION = "0015"  # the newest file in migrations/versions; a test keeps the two in step
_PG_LOCK_KEY = 0x5F1167  # any constant; serialises concurrent migrators on PostgreSQL


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration inside one transaction, and say so in one log line (Alembic's
    own INFO lines, one per step, are kept quiet)."""
    before = current_revision(engine)
    if before == HEAD_REVISION:
        return
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        _upgrade(engine)
    finally:
        alembic_log.setLevel(level)
    change = f"upgraded from {before}" if before else "created"
    _log.info("database schema %s: now at revision %s", change, HEAD_REVISION)


def _upgrade(engine: Engine) -> None:
    from alembic import command  # noqa: PLC0415 - only needed when there is something to migrate
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as raw:
        conn = raw.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
