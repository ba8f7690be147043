"""One HTTP worker process: its own store connections, server state, app and delivery snapshots."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

import uvicorn

from storeflight.delivery.cache import SnapshotCache
from storeflight.http.app import build_state, create_app
from storeflight.http.connection import uvicorn_options
from storeflight.ops import exporter, logs, metrics
from storeflight.storage.engine import make_engine
from storeflight.storage.sql import SqlStore
from storeflight.workers.spec import STARTUP_FAILURE, WorkerSpec

log = logging.getLogger("storeflight.workers")
PARENT_CHECK = 1.0  # seconds between checks that the supervisor is still there
WARM_RETRY = 2.0  # seconds between attempts to warm the delivery snapshots


def run(spec: WorkerSpec, sockets: list[socket.socket]) -> None:
    """Serve on the API's socket (inherited, or with `spec.listen` its own), then in interception mode on the
    inherited TLS listener, until SIGTERM."""
    # uvicorn re-raises the stop signal after its graceful shutdown; a no-op handler turns that into exit 0.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)
    level = str(spec.options.get("log_level", "info"))
    logs.configure(level, spec.settings.log_format)
    if spec.settings.metrics_port is not None:  # the supervisor named the metrics folder in our environment
        metrics.enable()
    try:
        # The supervisor migrated the database before starting any worker.
        store = SqlStore(make_engine(spec.settings.effective_database_url), audit=spec.settings.audit)
        state = build_state(store, spec.settings)
    except Exception:
        log.exception("worker %d could not start", os.getpid())
        sys.exit(STARTUP_FAILURE)
    if spec.pipeline:
        state = dataclasses.replace(state, wake_pipeline=_waker(spec.supervisor))
    app = create_app(state)
    if spec.warm_delivery:
        warm_in_background(state.delivery)
    threading.Thread(target=_watch, args=(spec.supervisor,), name="storeflight-supervisor-watch", daemon=True).start()
    options = {**spec.options, **uvicorn_options(spec.settings)}
    if spec.listen is not None:
        from storeflight.intercept.serving import bind  # noqa: PLC0415

        sockets = [bind(*spec.listen, reuse_port=True), *sockets]
    started = _serve(app, spec, sockets, options)
    metrics.disable()  # what the hot paths counted in the last second goes to the files first
    exporter.process_gone(os.getpid())
    store.close()
    if not started:
        sys.exit(STARTUP_FAILURE)


def _serve(app: object, spec: WorkerSpec, sockets: list[socket.socket], options: dict[str, object]) -> bool:
    if spec.leaf is None:
        server = uvicorn.Server(uvicorn.Config(app, **options))  # type: ignore[arg-type]
        server.run(sockets=sockets[:1])
        return server.started
    from storeflight.intercept import serving  # noqa: PLC0415

    listeners = serving.Listeners(tls=sockets[1], proxy=None)  # the proxy runs once, beside the supervisor
    return serving.run(app, listeners, spec.leaf, options, sockets=sockets[:1])


def _waker(supervisor: int) -> Callable[[], None]:
    def wake() -> None:  # the pipeline runs in the supervisor: tell it a commit is waiting
        with contextlib.suppress(ProcessLookupError):
            os.kill(supervisor, signal.SIGUSR1)

    return wake


def _watch(supervisor: int) -> None:
    """Stop (gracefully, like on SIGTERM) when the supervisor is gone, so a killed supervisor leaves no worker."""
    while os.getppid() == supervisor:
        time.sleep(PARENT_CHECK)
    log.warning("supervisor %d is gone: worker %d stops", supervisor, os.getpid())
    signal.raise_signal(signal.SIGTERM)


def warm_in_background(cache: SnapshotCache) -> None:
    """Build every app's delivery snapshot in a background thread, so no device waits for it."""
    threading.Thread(target=_warm, args=(cache,), name="storeflight-delivery-warm", daemon=True).start()


def _warm(cache: SnapshotCache, retry: float = WARM_RETRY) -> None:
    """Warm until it succeeds (a database not reachable yet at start is tried again): readiness waits for it."""
    started = time.monotonic()
    while True:
        try:
            built = cache.warm()
            break
        except Exception:  # requests still build what they need
            log.exception("warming delivery snapshots failed; trying again in %.0f s", retry)
            time.sleep(retry)
    logging.getLogger("storeflight").info(
        "warmed delivery snapshots of %d apps in %.1f s", built, time.monotonic() - started
    )
