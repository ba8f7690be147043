"""What the storage tests share: an empty database of the session's backend, and an old schema to upgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from storeflight.storage.migrate import MIGRATIONS
from tests.support import postgres_database


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the same backend as `database_url` (which skips or fails without one)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with postgres_database() as url:
        yield url


def upgrade_to(engine: Engine, revision: str) -> None:
    """Bring `engine`'s database to the schema of `revision`, as a database made by an older release has."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
