"""storeflight's ASGI app for granian (`granian --factory`), for the HTTP-server comparison in balrog_bench.py.

Reads the data folder and database URL from STOREFLIGHT_DATA_DIR and STOREFLIGHT_DATABASE_URL; the database
must already be migrated and seeded (as `storeflight serve` leaves it). A benchmark aid, not a way to run
storeflight: `storeflight serve` is.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from storeflight.config import Settings
from storeflight.http.app import build_state, create_app
from storeflight.storage.engine import make_engine
from storeflight.storage.sql import SqlStore


def app() -> object:
    logging.getLogger("storeflight").setLevel(logging.WARNING)
    settings = Settings(
        data_dir=Path(os.environ["STOREFLIGHT_DATA_DIR"]), database_url=os.environ["STOREFLIGHT_DATABASE_URL"]
    )
    store = SqlStore(make_engine(settings.effective_database_url), audit=settings.audit)
    return create_app(build_state(store, settings))
