"""`storeflight worker`: pipeline worker processes beside the API servers (any number, on PostgreSQL)."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from storeflight.cli.common import DatabaseUrl, DataDir, open_store
from storeflight.cli.rough import RoughEdgesFile, RoughSeed, rough_profile
from storeflight.config import Settings
from storeflight.http.app import build_state
from storeflight.pipeline.worker import StageTiming, Worker, WorkerSettings
from storeflight.roughedges.gate import RoughEdges

StageDelay = Annotated[
    float,
    typer.Option(envvar="STOREFLIGHT_STAGE_DELAY", help="Seconds each pipeline stage takes (0 for tests)."),
]
LeaseSeconds = Annotated[
    float,
    typer.Option(envvar="STOREFLIGHT_LEASE_SECONDS", help="How long a stage may run before another worker retries it."),
]


def worker_settings(stage_delay: float, lease_seconds: float, timing: StageTiming | None = None) -> WorkerSettings:
    return WorkerSettings(
        stage_delay=timedelta(seconds=stage_delay), lease=timedelta(seconds=lease_seconds), timing=timing
    )


def worker(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    stage_delay: StageDelay = 0.0,
    lease_seconds: LeaseSeconds = 60.0,
    blob_store: Annotated[str, typer.Option(envvar="STOREFLIGHT_BLOB_STORE", help="local or azure.")] = "local",
    azure_connection_string: Annotated[str | None, typer.Option(envvar="STOREFLIGHT_AZURE_CONNECTION_STRING")] = None,
    azure_container: Annotated[str, typer.Option(envvar="STOREFLIGHT_AZURE_CONTAINER")] = "ingestion",
    log_level: Annotated[str, typer.Option(envvar="STOREFLIGHT_LOG_LEVEL")] = "info",
    rough_edges: RoughEdgesFile = None,
    rough_seed: RoughSeed = None,
) -> None:
    """Run the ingestion pipeline until SIGTERM (the current stage finishes first).

    With --rough-edges, stage durations come from the profile's [stages] (its API settings are the server's).
    """
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    profile = rough_profile(rough_edges, rough_seed, None, None)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        blob_backend=blob_store,
        azure_connection_string=azure_connection_string,
        azure_container=azure_container,
    )
    store = open_store(data_dir, database_url)
    state = build_state(store, settings)
    timing = RoughEdges(profile) if profile is not None else None
    runner = Worker(store, state.blobs, worker_settings(stage_delay, lease_seconds, timing))
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: runner.stop())
    logging.getLogger("storeflight.pipeline").info("worker %s started", runner.owner)
    runner.run_forever()
    store.close()
