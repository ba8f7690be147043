"""Bring a database to the newest schema. Safe to run from several processes at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from storeflight.storage.engine import WRITE_OPTION

_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x5F1167  # any constant; serialises concurrent migrators on PostgreSQL


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration inside one transaction."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.connect() as raw:
        conn = raw.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
