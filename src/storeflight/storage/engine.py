"""Engines for the two supported databases: SQLite (WAL, embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection

from storeflight.private import private_sqlite

WRITE_OPTION = "storeflight_write"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_url(data_dir: Path) -> str:
    """The embedded database inside the data directory."""
    return f"sqlite:///{data_dir / 'storeflight.db'}"


def make_engine(url: str) -> Engine:
    """An engine with the per-backend settings storeflight relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            private_sqlite(Path(database))
        engine = create_engine(url, pool_size=16, max_overflow=16, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    # Every transaction ends in an explicit COMMIT or ROLLBACK, so the pool's reset-on-return ROLLBACK would
    # only add a round trip; stale connections are recycled instead of pinged before each use.
    return create_engine(url, pool_size=16, max_overflow=16, pool_recycle=1800, pool_reset_on_return=None)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed submission survives a crash
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that reads and then writes can fail
        # with SQLITE_BUSY_SNAPSHOT under WAL instead of waiting.
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        # Straight to the driver: this runs on every request, and the full execution path costs ~0.1 ms.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]
