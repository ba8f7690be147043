"""Counter increments: exact per row and hour, each device counted once per row and hour."""

from __future__ import annotations

from datetime import UTC, datetime

from storeflight.telemetry.cohort import Cohort, Placement
from storeflight.telemetry.events import Event, Kind
from storeflight.telemetry.tally import MAX_ROWS_PER_HOUR, Counts, RowKey, hour_of, tally

PLACE = Placement("", "200", Cohort.ROLLOUT)


def _ev(kind: Kind, version: str = "2.0.0.0", n: int = 0) -> tuple[Event, str]:
    return Event(f"e{n}", kind, version), "200" if version == "2.0.0.0" else "100"


def test_events_become_counts_per_row_and_the_device_counts_once() -> None:
    events = [_ev(Kind.INSTALLED), _ev(Kind.LAUNCHED), _ev(Kind.LAUNCHED), _ev(Kind.CRASHED), _ev(Kind.HEARTBEAT)]
    rows, state = tally(PLACE, [_ev(Kind.UPDATE_FAILED, "1.0.0.0"), *events], 10, None)
    assert rows == {
        RowKey("", "200", Cohort.ROLLOUT, "100", "1.0.0.0"): Counts(devices=1, update_failures=1),
        RowKey("", "200", Cohort.ROLLOUT, "200", "2.0.0.0"): Counts(1, 1, 0, 2, 1, 1),
    }
    assert state is not None
    assert (state.version, state.submission_id, state.hour, len(state.counted)) == ("2.0.0.0", "200", 10, 2)
    again, state2 = tally(PLACE, [_ev(Kind.LAUNCHED)], 10, state)
    assert again == {RowKey("", "200", Cohort.ROLLOUT, "200", "2.0.0.0"): Counts(devices=0, launches=1)}
    later, _ = tally(PLACE, [_ev(Kind.LAUNCHED)], 11, state2)
    assert later == {RowKey("", "200", Cohort.ROLLOUT, "200", "2.0.0.0"): Counts(devices=1, launches=1)}


def test_no_events_no_state() -> None:
    assert tally(PLACE, [], 10, None) == ({}, None)


def test_rows_beyond_the_cap_count_events_but_not_the_device() -> None:
    events = [_ev(Kind.LAUNCHED, f"1.0.0.{i}") for i in range(MAX_ROWS_PER_HOUR + 2)]
    rows, state = tally(PLACE, events, 10, None)
    assert sum(c.launches for c in rows.values()) == MAX_ROWS_PER_HOUR + 2
    assert sum(c.devices for c in rows.values()) == MAX_ROWS_PER_HOUR
    assert state is not None and len(state.counted) == MAX_ROWS_PER_HOUR


def test_hours_are_utc_hours_since_the_epoch() -> None:
    assert hour_of(datetime(1970, 1, 1, 2, 59, tzinfo=UTC)) == 2
