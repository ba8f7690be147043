"""The Prometheus metrics every process of a server counts, in prometheus-client's multiprocess mode.

Nothing is counted unless `serve --metrics-port` (or `worker --metrics-port`) turns metrics on: `ACTIVE` is
None until `enable()`, and every place that counts checks it first, so a server without metrics pays one
attribute read. With metrics on, each process writes its values to files in the server's own folder
(`PROMETHEUS_MULTIPROC_DIR`, see ops/exporter.py), and the exporter sums them over every process, dead ones
included for counters. The hot paths (requests, delivery decisions) count in the process first and reach the
files once a second (`tally.py`): a write to those files costs more than the rest of the counting.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values

from storeflight.delivery.reasons import Reason
from storeflight.ops.tally import Tally

REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BUILD_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # any other: "other"
_REASONS = {reason.value: reason.name.lower() for reason in Reason}


class Metrics:
    """Every metric, registered in `registry` (a private one by default: values live in the multiprocess
    files, and the exporter reads those)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "storeflight_http_requests", "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "storeflight_http_request_duration_seconds", "Time from a request's arrival to its answer's end.",
            ["route", "method"], buckets=REQUEST_BUCKETS, registry=r,
        )  # fmt: skip
        self.stages = Counter(
            "storeflight_pipeline_stages", "Pipeline stages run, by the status they ran for and their outcome "
            "(advanced, waiting, failed, lost_lease).", ["stage", "outcome"], registry=r,
        )  # fmt: skip
        self.stage_seconds = Histogram(
            "storeflight_pipeline_stage_duration_seconds", "Time one pipeline stage took.", ["stage"],
            buckets=STAGE_BUCKETS, registry=r,
        )  # fmt: skip
        self.decisions = Counter(
            "storeflight_delivery_decisions", "Delivery decisions, by reason and source (delivery_api, device).",
            ["reason", "source"], registry=r,
        )  # fmt: skip
        self.builds = Counter(
            "storeflight_delivery_snapshot_builds", "Delivery snapshots built (first build or refresh).", ["kind"],
            registry=r,
        )  # fmt: skip
        self.build_seconds = Histogram(
            "storeflight_delivery_snapshot_build_duration_seconds", "Time one app's delivery snapshot took to build.",
            buckets=BUILD_BUCKETS, registry=r,
        )  # fmt: skip
        self.checked = Gauge(
            "storeflight_delivery_snapshots_checked_timestamp_seconds",
            "Unix time a process last confirmed its delivery snapshots current (one series per live process; 0: "
            "none built yet).", registry=r, multiprocess_mode="liveall",
        )  # fmt: skip
        self.reports = Counter(
            "storeflight_device_report_events", "Device report events, by outcome (accepted, duplicate, refused).",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.upload_bytes = Counter(
            "storeflight_upload_bytes", "Bytes received by the local blob store's upload endpoint.", ["operation"],
            registry=r,
        )  # fmt: skip
        self.tokens = Counter(
            "storeflight_tokens", "Token requests: issued, or the OAuth error they were refused with.", ["outcome"],
            registry=r,
        )  # fmt: skip
        self.tally = Tally(self.requests, self.latency, self.decisions)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.tally.request(route, method, str(status), seconds)  # the request log bounded the method

    def decided(self, reason: str, source: str) -> None:
        self.tally.decided(_REASONS.get(reason, "other"), source)

    def flush(self) -> None:
        """Add the hot paths' counts (`tally.py`) to the metrics now."""
        self.tally.flush()

    def stage(self, stage: str, outcome: str, seconds: float | None) -> None:
        self.stages.labels(stage, outcome).inc()
        if seconds is not None:
            self.stage_seconds.labels(stage).observe(seconds)

    def built(self, kind: str, seconds: float) -> None:
        self.builds.labels(kind).inc()
        self.build_seconds.observe(seconds)

    def reported(self, accepted: int, duplicates: int, refused: int) -> None:
        for outcome, count in (("accepted", accepted), ("duplicate", duplicates), ("refused", refused)):
            if count:
                self.reports.labels(outcome).inc(count)

    def uploaded(self, operation: str, size: int) -> None:
        self.upload_bytes.labels(operation).inc(size)

    def token(self, outcome: str) -> None:
        self.tokens.labels(outcome).inc()

    def confirmed(self) -> None:
        self.checked.set(time.time())


ACTIVE: Metrics | None = None  # set by `enable` in every process of a server started with a metrics port


def enable() -> Metrics:
    """Count from now on in this process (after `exporter.prepare` set the folder in the environment, here or
    in the process that spawned this one)."""
    global ACTIVE  # noqa: PLW0603 - one set of metrics per process, by design
    if ACTIVE is None:
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]  # picks the multiprocess files from the environment now
        ACTIVE = Metrics()
        ACTIVE.tally.start()
    return ACTIVE


def disable() -> None:
    """Stop counting in this process (tests)."""
    global ACTIVE  # noqa: PLW0603
    if ACTIVE is not None:
        ACTIVE.tally.stop()
    ACTIVE = None
