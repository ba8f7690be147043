"""The metrics endpoint: `/metrics` on its own port, summing the values every process of the server wrote.

Multiprocess mode: `prepare` makes a folder of this server's own (removed when it stops; what a killed server
left is swept at the next start) and names it in PROMETHEUS_MULTIPROC_DIR before any worker process is spawned,
so every process (the supervisor with the pipeline, each HTTP worker) writes its values there. The endpoint
runs in the supervisor (a thread of prometheus-client's own WSGI server, away from the API's event loop) and
reads them all at each scrape, plus what it asks the database then: the pipeline's queue.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from storeflight import scratch
from storeflight.config import Settings
from storeflight.domain import dates
from storeflight.ops import metrics
from storeflight.storage.engine import make_engine
from storeflight.storage.protocol import Store
from storeflight.storage.sql import SqlStore

PREFIX = "storeflight-metrics-"
ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("storeflight.ops")


def prepare() -> scratch.LockedFolder:
    """This server's metrics folder, empty, named in the environment (inherited by every spawned process), and
    metrics on in this process."""
    scratch.sweep(Path(tempfile.gettempdir()), (PREFIX,), grace=0)  # folders of servers that were killed
    folder = scratch.LockedFolder(None, PREFIX)
    os.environ[ENVIRONMENT] = str(folder.path)
    metrics.enable()
    return folder


def process_gone(pid: int) -> None:
    """Forget the live gauges of a process that stopped (its counters still count)."""
    if os.environ.get(ENVIRONMENT):
        mark_process_dead(pid)  # type: ignore[no-untyped-call]


class QueueCollector(Collector):
    """The pipeline's queue, read from the database at scrape time: one grouped query."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        now = dates.utcnow()
        try:
            with self.store.transaction(write=False) as tx:
                rows = tx.pipeline_queue(now)
        except Exception as error:  # the scrape still answers; the probe says what is wrong
            log.warning("reading the pipeline queue for /metrics failed: %s", type(error).__name__)
            return
        depth = GaugeMetricFamily(
            "storeflight_pipeline_queue_depth", "Submissions the pipeline still has to work on, by status.",
            labels=["status"],
        )  # fmt: skip
        for status, count, _ in rows:
            depth.add_metric([status], count)
        due = [when for _, _, when in rows if when is not None]
        oldest = GaugeMetricFamily(
            "storeflight_pipeline_oldest_waiting_seconds",
            "How long the longest-waiting due stage has waited for a worker (0: none waits).",
            value=max(0.0, (now - min(due)).total_seconds()) if due else 0.0,
        )
        yield depth
        yield oldest


class Endpoint:
    """`--metrics-port`: the folder (`prepare`) and the endpoint, on a store of its own, from construction to
    `stop`; with no port, nothing at all. An address that cannot be bound raises OSError."""

    def __init__(self, settings: Settings) -> None:
        self.folder: scratch.LockedFolder | None = None
        self.server: Any = None
        self.store: Store | None = None
        if settings.metrics_port is None:
            return
        self.folder = prepare()
        self.store = SqlStore(make_engine(settings.effective_database_url), audit=False)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(QueueCollector(self.store))
        try:
            self.server, _thread = start_http_server(
                settings.metrics_port, addr=settings.metrics_host, registry=registry
            )
        except OSError:
            self.stop()
            raise
        log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)

    def stop(self) -> None:
        metrics.disable()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.store is not None:
            self.store.close()
        if self.folder is not None:
            self.folder.close()
        self.server = self.store = self.folder = None
