"""Group commit of device reports on both backends: exact counts, fewer commits, a bad batch fails alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest

from storeflight.delivery.snapshot import Snapshot
from storeflight.domain import dates
from storeflight.services.report_writer import ReportWriter
from storeflight.services.reports import Ingested
from storeflight.storage.sql import SqlStore
from storeflight.telemetry.events import Event, Kind
from storeflight.telemetry.tally import Counts
from tests.storage.test_reports import _snapshot, _totals


def _events(prefix: str) -> list[Event]:
    return [Event(f"{prefix}-{i}", Kind.LAUNCHED, "2.0.0.0") for i in range(10)]


def test_concurrent_batches_are_grouped_and_counted_exactly(store: SqlStore) -> None:
    snap, writer = _snapshot(), ReportWriter(store, dates.utcnow)
    jobs = [(f"d{i % 50}", _events(f"b{i}")) for i in range(200)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda job: writer.write(snap, *job), [*jobs, *jobs[:40]]))
    assert results[:200] == [Ingested(10, 0)] * 200
    assert results[200:] == [Ingested(0, 10)] * 40
    assert _totals(store, snap) == Counts(devices=50, launches=2000)
    assert writer.commits < 240  # batches that waited together shared a transaction


def test_ungrouped_writes_commit_each_batch(store: SqlStore) -> None:
    snap, writer = _snapshot(), ReportWriter(store, dates.utcnow, grouped=False)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: writer.write(snap, f"d{i % 5}", _events(f"u{i}")), range(40)))
    assert results == [Ingested(10, 0)] * 40 and writer.commits == 40
    assert _totals(store, snap) == Counts(devices=5, launches=400)


def test_a_batch_that_fails_fails_alone(store: SqlStore) -> None:
    snap, writer = _snapshot(), ReportWriter(store, dates.utcnow)
    broken = cast(Snapshot, cast(Any, object()))  # counting it raises inside the shared transaction
    jobs: list[tuple[Snapshot, str, list[Event]]] = [(snap, f"ok{i}", _events(f"x{i}")) for i in range(30)]
    jobs.insert(7, (broken, "bad", _events("bad")))

    def send(job: tuple[Snapshot, str, list[Event]]) -> Ingested | str:
        try:
            return writer.write(*job)
        except AttributeError:
            return "failed"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, jobs))
    assert results.count("failed") == 1 and results[7] == "failed"
    assert _totals(store, snap) == Counts(devices=30, launches=300)
    with pytest.raises(AttributeError):
        writer.write(broken, "bad", _events("again"))
