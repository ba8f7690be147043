"""`storeflight worker`: pipeline worker processes beside the API servers (any number, on PostgreSQL)."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from storeflight import scratch
from storeflight.cli.common import DatabaseUrl, DataDir, open_store
from storeflight.cli.ops_options import LogFormat, MetricsHost, MetricsPort, configure_logs
from storeflight.cli.rough import RoughEdgesFile, RoughSeed, rough_profile
from storeflight.config import Settings
from storeflight.http.app import build_state
from storeflight.ingest.archive import ArchiveLimits
from storeflight.ops import exporter
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import StageTiming, Worker, WorkerSettings
from storeflight.plans.worker import PlanWorker, PlanWorkerSettings
from storeflight.roughedges.gate import RoughEdges
from storeflight.storage.protocol import Store
from storeflight.webhooks.signing import Backoff
from storeflight.webhooks.worker import WebhookWorker, WebhookWorkerSettings

StageDelay = Annotated[
    float,
    typer.Option(envvar="STOREFLIGHT_STAGE_DELAY", help="Seconds each pipeline stage takes (0 for tests)."),
]
LeaseSeconds = Annotated[
    float,
    typer.Option(envvar="STOREFLIGHT_LEASE_SECONDS", help="How long a stage may run before another worker retries it."),
]


PlanPoll = Annotated[
    float,
    typer.Option(
        min=0.05,
        envvar="STOREFLIGHT_PLAN_POLL",
        help="Seconds between two looks at a running rollout plan's hold and health guard.",
    ),
]


def plan_worker(store: Store, lease_seconds: float, plan_poll: float) -> PlanWorker:
    """The rollout plan worker (leases as long as the pipeline's), started."""
    poll = timedelta(seconds=plan_poll)
    settings = PlanWorkerSettings(lease=timedelta(seconds=lease_seconds), poll=poll, idle=min(1.0, plan_poll))
    return PlanWorker(store, settings).start()


WebhookRetry = Annotated[
    float,
    typer.Option(
        min=0.05,
        envvar="STOREFLIGHT_WEBHOOK_RETRY",
        help="Seconds before a failed webhook delivery's first retry (each next one waits three times longer).",
    ),
]


def webhook_worker(store: Store, first_retry: float) -> WebhookWorker:
    """The webhook delivery worker, started."""
    backoff = Backoff(first=timedelta(seconds=first_retry))
    return WebhookWorker(store, WebhookWorkerSettings(backoff=backoff, idle=min(1.0, first_retry))).start()


WorkerSlots = Annotated[
    int,
    typer.Option(
        min=1,
        envvar="STOREFLIGHT_WORKER_SLOTS",
        help="Pipeline stages run at once; a free slot goes to a tenant with no stage running first.",
    ),
]
MaxExtractedBytes = Annotated[
    int,
    typer.Option(
        min=1,
        envvar="STOREFLIGHT_MAX_EXTRACTED_BYTES",
        help="Bytes one submission's stage may extract to temporary files, all nested archives together.",
    ),
]
DEFAULT_MAX_EXTRACTED = ArchiveLimits().max_extracted_bytes


GARBAGE_GRACE = timedelta(minutes=10)  # longer than a backup's blob copy takes (docs/deployment.md)


def worker_settings(
    stage_delay: float,
    lease_seconds: float,
    max_extracted_bytes: int = DEFAULT_MAX_EXTRACTED,
    timing: StageTiming | None = None,
) -> WorkerSettings:
    return WorkerSettings(
        stage_delay=timedelta(seconds=stage_delay),
        lease=timedelta(seconds=lease_seconds),
        limits=ArchiveLimits(max_extracted_bytes=max_extracted_bytes),
        timing=timing,
        garbage_grace=GARBAGE_GRACE,
    )


def worker(
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    stage_delay: StageDelay = 0.0,
    lease_seconds: LeaseSeconds = 60.0,
    worker_slots: WorkerSlots = 2,
    max_extracted_bytes: MaxExtractedBytes = DEFAULT_MAX_EXTRACTED,
    blob_store: Annotated[str, typer.Option(envvar="STOREFLIGHT_BLOB_STORE", help="local or azure.")] = "local",
    azure_connection_string: Annotated[str | None, typer.Option(envvar="STOREFLIGHT_AZURE_CONNECTION_STRING")] = None,
    azure_container: Annotated[str, typer.Option(envvar="STOREFLIGHT_AZURE_CONTAINER")] = "ingestion",
    log_level: Annotated[str, typer.Option(envvar="STOREFLIGHT_LOG_LEVEL")] = "info",
    log_format: LogFormat = "text",
    metrics_port: MetricsPort = None,
    metrics_host: MetricsHost = "127.0.0.1",
    rough_edges: RoughEdgesFile = None,
    rough_seed: RoughSeed = None,
    plan_poll: PlanPoll = 60.0,
    webhook_retry: WebhookRetry = 60.0,
) -> None:
    """Run the ingestion pipeline, the rollout plans and webhook deliveries until SIGTERM (the current stage
    finishes first).

    With --rough-edges, stage durations come from the profile's [stages] (its API settings are the server's).
    """
    stopping = threading.Event()
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: stopping.set())
    configure_logs(log_level, log_format)
    scratch.sweep_stage_folders()  # what killed stages of earlier processes left in the temporary folder
    profile = rough_profile(rough_edges, rough_seed, None, None)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        blob_backend=blob_store,
        azure_connection_string=azure_connection_string,
        azure_container=azure_container,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
    )
    try:
        endpoint = exporter.Endpoint(settings)  # the pipeline's metrics and its queue, when asked for
    except OSError as error:
        raise typer.BadParameter(f"cannot serve metrics on {metrics_host}:{metrics_port}: {error}") from None
    store = open_store(data_dir, database_url)
    state = build_state(store, settings)
    timing = RoughEdges(profile) if profile is not None else None
    runner = Worker(store, state.blobs, worker_settings(stage_delay, lease_seconds, max_extracted_bytes, timing))
    pool = BackgroundWorker(runner, worker_slots).start()
    plans = plan_worker(store, lease_seconds, plan_poll)
    hooks = webhook_worker(store, webhook_retry)
    logging.getLogger("storeflight.pipeline").info("worker %s started with %d slots", runner.owner, worker_slots)
    while not stopping.wait(1.0):
        pass
    pool.stop(timeout=None)
    plans.stop(timeout=None)
    hooks.stop(timeout=None)
    endpoint.stop()
    store.close()
