"""Options shared by every command that opens the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url

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


class NoDatabase(Exception):
    """A command that only reads was pointed at a SQLite database that does not exist."""


def describe(data_dir: Path, database_url: str | None) -> str:
    """The database the options name, for people: the SQLite file, or the URL without its password."""
    if database_url is None:
        return f"SQLite {(data_dir / 'storeflight.db').resolve()}"
    return make_url(database_url).render_as_string(hide_password=True)


def open_store(data_dir: Path, database_url: str | None, *, create: bool = True) -> SqlStore:
    """The migrated database the options name. With `create=False` a missing SQLite database is NoDatabase
    (a read must never leave an empty database behind in whatever folder it was run from)."""
    if database_url is None:
        if not create and not (data_dir / "storeflight.db").is_file():
            raise NoDatabase(
                f"there is no storeflight database in {data_dir.resolve()}; pass the server's --data-dir "
                "(or --database-url)"
            )
        private_dir(data_dir)
    engine = make_engine(database_url or sqlite_url(data_dir))
    migrate(engine)
    return SqlStore(engine)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))
