"""Device report storage on both backends: an event counts once, even sent by many writers at once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from storeflight.delivery.model import Rollout
from storeflight.delivery.snapshot import Snapshot
from storeflight.domain import ids
from storeflight.services.reports import Ingested, ingest
from storeflight.storage.sql import SqlStore
from storeflight.telemetry.cohort import Cohort, place
from storeflight.telemetry.events import Event, Kind
from storeflight.telemetry.tally import Counts, hour_of
from tests.delivery import builders as b

NOW = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def _snapshot() -> Snapshot:
    old = b.submission("100", "1.0.0.0")
    new = b.submission("200", "2.0.0.0", rollout=Rollout.IN_PROGRESS, percentage=50.0, fallback="100")
    view = b.app(new, extra=(old,))
    app_view = type(view)(ids.new_store_id(), view.non_flighted, view.flights, view.submissions)
    return Snapshot(str(uuid.uuid4()), app_view, {})


def _events(prefix: str, version: str = "2.0.0.0") -> list[Event]:
    kinds = [Kind.INSTALLED, Kind.LAUNCHED, Kind.LAUNCHED, Kind.CRASHED, Kind.HEARTBEAT]
    return [Event(f"{prefix}-{i}", kind, version) for i, kind in enumerate(kinds)]


def _ingest(store: SqlStore, snap: Snapshot, customer: str, events: list[Event], now: datetime = NOW) -> Ingested:
    with store.transaction(write=True) as tx:
        return ingest(tx, snap, customer, events, now)


def _totals(store: SqlStore, snap: Snapshot) -> Counts:
    total = Counts()
    with store.transaction(write=False) as tx:
        for _, _, counts in tx.report_hours(snap.app.app_id, "", 0):
            total.add(counts)
    return total


def test_an_event_id_counts_once(store: SqlStore) -> None:
    snap = _snapshot()
    assert _ingest(store, snap, "a@example.com", _events("a")) == Ingested(5, 0)
    again = [*_events("a"), Event("a-new", Kind.LAUNCHED, "2.0.0.0"), Event("a-new", Kind.CRASHED, "2.0.0.0")]
    assert _ingest(store, snap, " a@example.com ", again) == Ingested(1, 6)  # the same device
    assert _ingest(store, snap, "b@example.com", _events("a")) == Ingested(5, 0)  # ids are per device
    assert _totals(store, snap) == Counts(devices=2, installs=2, launches=5, crashes=2, heartbeats=2)


def test_counts_land_in_the_devices_cohort_and_hour(store: SqlStore) -> None:
    snap = _snapshot()
    customers = [f"c{i}@example.com" for i in range(40)]
    for customer in customers:
        _ingest(store, snap, customer, _events(customer))
    _ingest(store, snap, customers[0], [Event("later", Kind.HEARTBEAT, "2.0.0.0")], NOW + timedelta(hours=1))
    expected = dict.fromkeys((Cohort.ROLLOUT, Cohort.FALLBACK), 0)
    for customer in customers:
        expected[place(snap.app, customer, ()).cohort] += 1
    with store.transaction(write=False) as tx:
        rows = tx.report_hours(snap.app.app_id, "", 0)
        devices = tx.device_counts(snap.app.app_id, "")
    seen = {(key.cohort, hour): counts.devices for key, hour, counts in rows}
    hour = hour_of(NOW)
    assert {c: seen.get((c, hour), 0) for c in expected} == expected
    assert sum(n for (_, h), n in seen.items() if h == hour + 1) == 1
    assert {(c, n) for _, c, _, _, n in devices} == set(expected.items())
    with store.transaction(write=True) as tx:
        tx.delete_app_reports(snap.app.app_id)
    assert _totals(store, snap) == Counts()


def test_many_writers_sending_the_same_batches_count_each_event_once(store: SqlStore) -> None:
    snap = _snapshot()
    batches = [(f"d{i % 4}@example.com", _events(f"b{i}")) for i in range(12)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda job: _ingest(store, snap, *job), batches * 4))
    assert sum(r.accepted for r in results) == 12 * 5
    assert sum(r.duplicates for r in results) == 3 * 12 * 5
    assert _totals(store, snap) == Counts(devices=4, installs=12, launches=24, crashes=12, heartbeats=12)


def test_old_event_ids_are_forgotten_in_batches_and_recent_ones_kept(store: SqlStore) -> None:
    snap = _snapshot()
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # before every other test's hours: their ids stay
    assert _ingest(store, snap, "old@example.com", _events("old"), long_ago) == Ingested(5, 0)
    assert _ingest(store, snap, "new@example.com", _events("new"), long_ago + timedelta(days=10)) == Ingested(5, 0)
    cutoff = hour_of(long_ago + timedelta(days=1))
    with store.transaction(write=True) as tx:
        assert tx.prune_report_ids(cutoff, 2) == 2
    with store.transaction(write=True) as tx:
        assert tx.prune_report_ids(cutoff, 100) == 3
        assert tx.prune_report_ids(cutoff, 100) == 0
    later = long_ago + timedelta(days=11)
    assert _ingest(store, snap, "old@example.com", _events("old"), later) == Ingested(5, 0)  # counted again
    assert _ingest(store, snap, "new@example.com", _events("new"), later) == Ingested(0, 5)  # still known
