"""Options shared by every command that opens the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from storeflight.private import private_dir
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore

DataDir = Annotated[
    Path, typer.Option("--data-dir", envvar="STOREFLIGHT_DATA_DIR", help="Folder for the SQLite database and blobs.")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="STOREFLIGHT_DATABASE_URL",
        help="postgresql://... to use PostgreSQL instead of SQLite in the data dir.",
    ),
]


def open_store(data_dir: Path, database_url: str | None) -> SqlStore:
    """The migrated database the options name."""
    if database_url is None:
        private_dir(data_dir)
    engine = make_engine(database_url or sqlite_url(data_dir))
    migrate(engine)
    return SqlStore(engine)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))
