"""A live server with a rough-edges profile, on the session's database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from storeflight.roughedges.profile import parse
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, make_settings

RoughServer = Callable[..., AbstractContextManager[LiveServer]]


@pytest.fixture
def rough_server(store: SqlStore, tmp_path: Path) -> RoughServer:
    """`with rough_server({profile}) as live:` starts a server with that profile (and extra settings)."""

    @contextmanager
    def start(profile: dict[str, Any], **settings: Any) -> Iterator[LiveServer]:
        with LiveServer(store, make_settings(tmp_path, rough=parse(profile), **settings)) as live:
            yield live

    return start
