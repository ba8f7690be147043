"""`storeflight serve`: the API server on the embedded default or on PostgreSQL."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn

from storeflight import scratch
from storeflight.blobs import BACKENDS
from storeflight.cli.common import DatabaseUrl, DataDir, open_store
from storeflight.cli.ops_options import LogFormat, MetricsHost, MetricsPort, configure_logs
from storeflight.cli.quota_options import (
    DEFAULT_QUOTAS,
    QuotaFlights,
    QuotaGroups,
    QuotaMembers,
    QuotaPackages,
    QuotaStoredBytes,
    quotas,
)
from storeflight.cli.rough import Rough503Rate, RoughEdgesFile, RoughRequestsPerMinute, RoughSeed, rough_profile
from storeflight.cli.worker import (
    DEFAULT_MAX_EXTRACTED,
    LeaseSeconds,
    MaxExtractedBytes,
    PlanPoll,
    StageDelay,
    WebhookRetry,
    WorkerSlots,
    plan_worker,
    webhook_worker,
    worker_settings,
)
from storeflight.config import Settings
from storeflight.http.app import build_state, create_app
from storeflight.http.connection import uvicorn_options
from storeflight.http.deps import ServerState
from storeflight.intercept import INTERCEPTED_HOSTS
from storeflight.ops import exporter
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.plans.worker import PlanWorker
from storeflight.storage.protocol import Store
from storeflight.webhooks.worker import WebhookWorker
from storeflight.workers.child import warm_in_background
from storeflight.workers.spec import WorkerSpec

if TYPE_CHECKING:
    from storeflight.intercept.serving import Listeners

log = logging.getLogger("storeflight")
_REUSE_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def serve(
    host: Annotated[str, typer.Option(envvar="STOREFLIGHT_HOST", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="STOREFLIGHT_PORT", help="Port to bind.")] = 8080,
    data_dir: DataDir = Path("./data"),
    database_url: DatabaseUrl = None,
    public_url: Annotated[
        str | None,
        typer.Option(envvar="STOREFLIGHT_PUBLIC_URL", help="Base URL for generated links (default: the request's)."),
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(envvar="STOREFLIGHT_TLS_CERT", help="PEM certificate.")] = None,
    tls_key: Annotated[Path | None, typer.Option(envvar="STOREFLIGHT_TLS_KEY", help="PEM private key.")] = None,
    token_lifetime: Annotated[
        int, typer.Option(envvar="STOREFLIGHT_TOKEN_LIFETIME", help="Access token lifetime in seconds.")
    ] = 3600,
    upload_url_lifetime: Annotated[
        int, typer.Option(envvar="STOREFLIGHT_UPLOAD_URL_LIFETIME", help="fileUploadUrl lifetime in seconds.")
    ] = 86400,
    allow_any_token: Annotated[
        str | None,
        typer.Option(
            envvar="STOREFLIGHT_ALLOW_ANY_TOKEN",
            help="UNSAFE: accept any bearer (StoreBroker's 'Bearer PROXY') as this tenant.",
        ),
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option(envvar="STOREFLIGHT_MAX_BODY_BYTES", help="Largest accepted JSON body.")
    ] = 8 * 1024 * 1024,
    blob_store: Annotated[
        str,
        typer.Option(
            envvar="STOREFLIGHT_BLOB_STORE",
            help="Where uploads go: 'local' (files in --data-dir/blobs, served by this server) or 'azure'.",
        ),
    ] = "local",
    azure_connection_string: Annotated[
        str | None,
        typer.Option(
            envvar="STOREFLIGHT_AZURE_CONNECTION_STRING",
            help="Storage account connection string with an AccountKey (--blob-store azure).",
        ),
    ] = None,
    azure_container: Annotated[
        str, typer.Option(envvar="STOREFLIGHT_AZURE_CONTAINER", help="Blob container for uploads (created if missing).")
    ] = "ingestion",
    max_upload_bytes: Annotated[
        int, typer.Option(envvar="STOREFLIGHT_MAX_UPLOAD_BYTES", help="Largest accepted upload (local blob store).")
    ] = 25 * 2**30,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            envvar="STOREFLIGHT_ALLOWED_HOSTS",
            help="A Host name to answer for, besides 127.0.0.1, localhost, ::1 and --public-url's host "
            "(repeatable; '*' for any). Requests naming other hosts get 400.",
        ),
    ] = None,
    header_timeout: Annotated[
        float,
        typer.Option(envvar="STOREFLIGHT_HEADER_TIMEOUT", help="Seconds a client may take to send request headers."),
    ] = 10.0,
    body_timeout: Annotated[
        float,
        typer.Option(
            envvar="STOREFLIGHT_BODY_TIMEOUT", help="Seconds a request body may stall (nothing arriving) before 408."
        ),
    ] = 30.0,
    keep_alive_timeout: Annotated[
        float,
        typer.Option(envvar="STOREFLIGHT_KEEP_ALIVE_TIMEOUT", help="Seconds an idle connection is kept open."),
    ] = 120.0,
    token_attempts_per_client: Annotated[
        int,
        typer.Option(
            envvar="STOREFLIGHT_TOKEN_ATTEMPTS_PER_CLIENT",
            help="Token requests per minute per client id (0: no limit).",
        ),
    ] = 60,
    token_attempts_per_address: Annotated[
        int,
        typer.Option(
            envvar="STOREFLIGHT_TOKEN_ATTEMPTS_PER_ADDRESS",
            help="Token requests per minute per source address (0: no limit).",
        ),
    ] = 600,
    max_blob_blocks: Annotated[
        int, typer.Option(envvar="STOREFLIGHT_MAX_BLOB_BLOCKS", min=1, help="Most blocks in one committed block list.")
    ] = 50_000,
    max_staged_blocks: Annotated[
        int, typer.Option(envvar="STOREFLIGHT_MAX_STAGED_BLOCKS", min=1, help="Most uncommitted blocks of one blob.")
    ] = 50_000,
    max_staged_bytes: Annotated[
        int | None,
        typer.Option(
            envvar="STOREFLIGHT_MAX_STAGED_BYTES",
            min=1,
            help="Most uncommitted bytes of one blob (default: --max-upload-bytes).",
        ),
    ] = None,
    min_free_bytes: Annotated[
        int,
        typer.Option(
            envvar="STOREFLIGHT_MIN_FREE_BYTES",
            min=0,
            help="Free space kept in --data-dir: writes that would leave less are refused with 503 (0: none).",
        ),
    ] = 64 * 2**20,
    max_tenant_uploads: Annotated[
        int,
        typer.Option(
            envvar="STOREFLIGHT_MAX_TENANT_UPLOADS", min=1, help="Uploads of one tenant at once (local store)."
        ),
    ] = 8,
    stage_delay: StageDelay = 0.0,
    lease_seconds: LeaseSeconds = 60.0,
    worker_slots: WorkerSlots = 2,
    max_extracted_bytes: MaxExtractedBytes = DEFAULT_MAX_EXTRACTED,
    plan_poll: PlanPoll = 60.0,
    webhook_retry: WebhookRetry = 60.0,
    embedded_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            envvar="STOREFLIGHT_EMBEDDED_WORKER",
            help="Run the ingestion pipeline, the rollout plans and webhook deliveries in this process (turn off "
            "when `storeflight worker` processes run).",
        ),
    ] = True,
    warm_delivery: Annotated[
        bool,
        typer.Option(
            "--warm-delivery/--no-warm-delivery",
            envvar="STOREFLIGHT_WARM_DELIVERY",
            help="Build every app's delivery snapshot in the background at start, so no device waits for it.",
        ),
    ] = False,
    quota_members: QuotaMembers = DEFAULT_QUOTAS.members,
    quota_groups: QuotaGroups = DEFAULT_QUOTAS.groups,
    quota_flights: QuotaFlights = DEFAULT_QUOTAS.flights,
    quota_packages: QuotaPackages = DEFAULT_QUOTAS.packages,
    quota_stored_bytes: QuotaStoredBytes = DEFAULT_QUOTAS.stored_bytes,
    intercept_port: Annotated[
        int | None,
        typer.Option(
            envvar="STOREFLIGHT_INTERCEPT_PORT",
            help="Interception mode: a CONNECT proxy on this port (HTTPS_PROXY) that answers for "
            "login.microsoftonline.com, login.windows.net and manage.devcenter.microsoft.com with the local CA "
            "(`storeflight ca`).",
        ),
    ] = None,
    tls_port: Annotated[
        int | None,
        typer.Option(
            envvar="STOREFLIGHT_TLS_PORT",
            help="Interception mode: serve the intercepted hosts over TLS on this port too, for clients pointed "
            "at it by the hosts file (default with --intercept-port: a free loopback port only the proxy uses).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="STOREFLIGHT_WORKERS",
            help="HTTP worker processes on the one listening socket (each with its own delivery snapshots); "
            "the pipeline and the interception proxy still run once, beside them.",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option(envvar="STOREFLIGHT_LOG_LEVEL")] = "info",
    log_format: LogFormat = "text",
    metrics_port: MetricsPort = None,
    metrics_host: MetricsHost = "127.0.0.1",
    audit: Annotated[
        bool,
        typer.Option(
            "--audit/--no-audit",
            envvar="STOREFLIGHT_AUDIT",
            help="Record every change in the audit history (default). --no-audit is a benchmark/ops knob: "
            "changes made meanwhile are missing from the history.",
        ),
    ] = True,
    rough_edges: RoughEdgesFile = None,
    rough_seed: RoughSeed = None,
    rough_503_rate: Rough503Rate = None,
    rough_requests_per_minute: RoughRequestsPerMinute = None,
) -> None:
    """Run the API server (SQLite in --data-dir unless --database-url is given)."""
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together.")
    if blob_store not in BACKENDS:
        raise typer.BadParameter(f"--blob-store must be one of {', '.join(BACKENDS)}, not {blob_store!r}.")
    if blob_store == "azure" and not azure_connection_string:
        raise typer.BadParameter("--blob-store azure needs --azure-connection-string.")
    configure_logs(log_level, log_format)
    scratch.sweep_stage_folders()  # what killed stages of earlier processes left in the temporary folder
    rough = rough_profile(rough_edges, rough_seed, rough_503_rate, rough_requests_per_minute)
    if rough is not None and rough.tokens.lifetime:
        token_lifetime = round(rough.tokens.lifetime)
    intercepting = intercept_port is not None or tls_port is not None
    settings = Settings(
        intercept_hosts=INTERCEPTED_HOSTS if intercepting else (),
        data_dir=data_dir,
        database_url=database_url,
        public_url=public_url.rstrip("/") if public_url else None,
        token_lifetime=timedelta(seconds=token_lifetime),
        upload_lifetime=timedelta(seconds=upload_url_lifetime),
        allow_any_token=allow_any_token,
        max_body_bytes=max_body_bytes,
        blob_backend=blob_store,
        azure_connection_string=azure_connection_string,
        azure_container=azure_container,
        max_upload_bytes=max_upload_bytes,
        rough=rough,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        keep_alive_timeout=keep_alive_timeout,
        allowed_hosts=tuple(allowed_host or ()),
        token_attempts_per_client=token_attempts_per_client,
        token_attempts_per_address=token_attempts_per_address,
        max_blob_blocks=max_blob_blocks,
        max_staged_blocks=max_staged_blocks,
        max_staged_bytes=max_staged_bytes,
        min_free_bytes=min_free_bytes,
        max_tenant_uploads=max_tenant_uploads,
        audit=audit,
        commit_hold=timedelta(seconds=stage_delay),
        warm_delivery=warm_delivery,
        log_format=log_format,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        quotas=quotas(quota_members, quota_groups, quota_flights, quota_packages, quota_stored_bytes),
    )
    if allow_any_token:
        typer.secho(
            f"WARNING: --allow-any-token is on: every bearer token is accepted as tenant {allow_any_token}. "
            "Never expose this server.",
            fg=typer.colors.RED,
            err=True,
        )
    metrics_endpoint = _metrics(settings)  # before any process is spawned: they inherit its folder
    intercept = prepare_intercept(host, data_dir, intercept_port, tls_port) if intercepting else None
    main_socket = _bind(host, port) if workers > 1 else None  # before migrating: a port in use stops us first
    store = open_store(data_dir, database_url)  # migrated here, once, before any worker starts
    store.audit = audit
    try:
        state = build_state(store, settings)
    except ValueError as error:  # a blob backend that cannot work with these settings
        store.close()
        raise typer.BadParameter(str(error)) from None
    pipeline, others = None, list[PlanWorker | WebhookWorker]()
    if embedded_worker:
        pipeline_settings = worker_settings(stage_delay, lease_seconds, max_extracted_bytes, state.rough)
        state, pipeline, others = _background(state, pipeline_settings, worker_slots, (plan_poll, webhook_retry))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level.lower(),
        "timeout_graceful_shutdown": 10,
        "log_config": None,  # logging is ours (ops/logs.py): uvicorn's records go through the same handler
        # The request log (ops/requestlog.py) says it with the route and correlation id; uvicorn's own lines (raw
        # paths and queries, scrubbed) come too at debug level only.
        "access_log": log_level.lower() in ("debug", "trace"),
        "ssl_certfile": str(tls_cert) if tls_cert else None,
        "ssl_keyfile": str(tls_key) if tls_key else None,
    }
    code = 0
    if main_socket is not None:
        listen = main_socket.getsockname()[:2] if _REUSE_PORT else None
        spec = WorkerSpec(
            settings,
            options,
            os.getpid(),
            pipeline is not None,
            warm_delivery,
            intercept[1] if intercept else None,
            listen,
        )
        code = _run_workers(spec, workers, main_socket, intercept, pipeline)
    else:
        _run_single(create_app(state), {**options, **uvicorn_options(settings)}, intercept, warm_delivery, state)
    _stop(pipeline, others, metrics_endpoint, store)
    if code:
        raise typer.Exit(code)


def _metrics(settings: Settings) -> exporter.Endpoint:
    try:
        return exporter.Endpoint(settings)
    except OSError as error:
        where = f"{settings.metrics_host}:{settings.metrics_port}"
        raise typer.BadParameter(f"cannot serve metrics on {where}: {error}") from None


def _stop(
    pipeline: BackgroundWorker | None,
    others: list[PlanWorker | WebhookWorker],
    endpoint: exporter.Endpoint,
    store: Store,
) -> None:
    if pipeline is not None:
        pipeline.stop()
    for other in others:
        other.stop()
    endpoint.stop()
    store.close()


def _background(
    state: ServerState, settings: WorkerSettings, slots: int, polls: tuple[float, float]
) -> tuple[ServerState, BackgroundWorker, list[PlanWorker | WebhookWorker]]:
    """The embedded pipeline, plan and webhook workers, started; the state wakes the pipeline after a commit.
    `polls`: the plan poll and the first webhook retry, in seconds."""
    pipeline = BackgroundWorker(Worker(state.store, state.blobs, settings), slots).start()
    plans = plan_worker(state.store, settings.lease.total_seconds(), polls[0])
    hooks = webhook_worker(state.store, polls[1])
    log.info("ingestion pipeline runs in process %d with %d slots", os.getpid(), slots)
    return dataclasses.replace(state, wake_pipeline=pipeline.wake), pipeline, [plans, hooks]


def _run_single(
    app: Any,
    options: dict[str, Any],
    intercept: tuple[Listeners, tuple[Path, Path]] | None,
    warm_delivery: bool,
    state: ServerState,
) -> None:
    """One process serves everything (the default): the API, the TLS listener and the proxy child."""
    if warm_delivery:
        warm_in_background(state.delivery)
    # uvicorn re-raises the stop signal after its graceful shutdown; a no-op handler turns that into exit 0.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)
    if intercept is not None:
        from storeflight.intercept import serving  # noqa: PLC0415

        serving.run(app, *intercept, options)
    else:
        uvicorn.run(app, **options)


def _run_workers(
    spec: WorkerSpec,
    count: int,
    main_socket: socket.socket,
    intercept: tuple[Listeners, tuple[Path, Path]] | None,
    pipeline: BackgroundWorker | None,
) -> int:
    """`count` worker processes on the bound sockets; the pipeline and the proxy child stay here, once."""
    from storeflight.intercept import serving  # noqa: PLC0415
    from storeflight.workers.supervisor import Supervisor  # noqa: PLC0415

    sockets = [] if spec.listen else [main_socket]  # with SO_REUSEPORT each worker listens on its own
    if intercept is not None:
        sockets.append(intercept[0].tls)
    with contextlib.ExitStack() as stack:
        proxy = intercept[0].proxy if intercept is not None else None
        if intercept is not None and proxy is not None:
            upstream = serving.upstream_of(intercept[0].tls.getsockname()[:2])
            stack.enter_context(serving.ProxyProcess(upstream, proxy, str(spec.options["log_level"])))
            log.info("interception proxy on %s:%d", *proxy.getsockname()[:2])
        wake = pipeline.wake if pipeline is not None else (lambda: None)
        return Supervisor(spec, sockets, count, on_wake=wake).run()


def _bind(host: str, port: int) -> socket.socket:
    from storeflight.intercept import serving  # noqa: PLC0415

    try:
        # With SO_REUSEPORT the port is only held here (a socket that listened without accepting would get
        # connections); the workers listen on it, and the kernel spreads connections evenly between them. On
        # one shared socket, one worker tends to accept a burst of connections all by itself.
        return serving.bind(host, port, reuse_port=_REUSE_PORT, listen=not _REUSE_PORT)
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error}") from None


def prepare_intercept(
    host: str, data_dir: Path, intercept_port: int | None, tls_port: int | None
) -> tuple[Listeners, tuple[Path, Path]]:
    """Bind the TLS listener and the proxy, and load (or make) the CA and a fresh leaf, before anything
    starts: a port in use or an unreadable CA stops `serve` with a clear error."""
    from storeflight.intercept import ca, serving  # noqa: PLC0415

    try:
        authority, created = ca.load_or_create(ca.folder_of(data_dir))
    except ca.AuthorityError as error:
        raise typer.BadParameter(str(error)) from None
    if created:
        log.info(
            "created the interception CA %s (SHA-256 %s): trust it where clients run",
            authority.cert_path,
            authority.fingerprint,
        )
    bound: list[socket.socket] = []
    try:
        bound.append(serving.bind(host, tls_port or 0))
        if intercept_port is not None:
            bound.append(serving.bind(host, intercept_port))
    except OSError as error:
        for sock in bound:
            sock.close()
        raise typer.BadParameter(f"cannot listen for interception on {host}: {error}") from None
    listeners = serving.Listeners(tls=bound[0], proxy=bound[1] if len(bound) > 1 else None)
    return listeners, authority.write_leaf()
