"""A device's new events turned into exact counter increments, per hour and row, and its next state. Pure.

A row is (line, rollout submission, cohort, the event's submission, version); its counters are kept per
hour. `devices` counts each device once per row and hour: the device's state remembers which rows it was
counted in during its last hour (up to MAX_ROWS_PER_HOUR; rows beyond that count events but not the device).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from storeflight.telemetry.cohort import Cohort, Placement
from storeflight.telemetry.events import Event, Kind

MAX_ROWS_PER_HOUR = 16


def hour_of(now: datetime) -> int:
    """Whole hours since the Unix epoch (UTC): the time bucket of an event received at `now`."""
    return int(now.timestamp()) // 3600


@dataclass(frozen=True, slots=True)
class RowKey:
    line: str
    rollout_submission_id: str
    cohort: Cohort
    submission_id: str
    version: str

    @property
    def token(self) -> str:
        return f"{self.rollout_submission_id}:{self.cohort.value[0]}:{self.submission_id}:{self.version}"


@dataclass(slots=True)
class Counts:
    devices: int = 0
    installs: int = 0
    update_failures: int = 0
    launches: int = 0
    crashes: int = 0
    heartbeats: int = 0

    def add(self, other: Counts) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


COUNTERS = ("devices", "installs", "update_failures", "launches", "crashes", "heartbeats")
_COUNTER_OF = {
    Kind.INSTALLED: "installs",
    Kind.UPDATE_FAILED: "update_failures",
    Kind.LAUNCHED: "launches",
    Kind.CRASHED: "crashes",
    Kind.HEARTBEAT: "heartbeats",
}


@dataclass(frozen=True, slots=True)
class DeviceState:
    """What is kept per device: where it counted last, on which version, and the rows counted in its hour."""

    line: str
    rollout_submission_id: str
    cohort: Cohort
    submission_id: str
    version: str
    hour: int
    counted: tuple[str, ...] = field(default=())


def tally(
    placement: Placement, events: Iterable[tuple[Event, str]], hour: int, previous: DeviceState | None
) -> tuple[dict[RowKey, Counts], DeviceState | None]:
    """The increments for `events` (each with the submission its version belongs to) received in `hour`, and
    the device's new state (None when there were no events)."""
    counted = list(previous.counted) if previous is not None and previous.hour == hour else []
    rows: dict[RowKey, Counts] = {}
    last: RowKey | None = None
    for event, submission_id in events:
        key = RowKey(placement.line, placement.rollout_submission_id, placement.cohort, submission_id, event.version)
        counts = rows.get(key)
        if counts is None:
            counts = rows[key] = Counts()
            if key.token not in counted and len(counted) < MAX_ROWS_PER_HOUR:
                counted.append(key.token)
                counts.devices = 1
        name = _COUNTER_OF[event.kind]
        setattr(counts, name, getattr(counts, name) + 1)
        last = key
    if last is None:
        return rows, None
    state = DeviceState(
        line=last.line,
        rollout_submission_id=last.rollout_submission_id,
        cohort=last.cohort,
        submission_id=last.submission_id,
        version=last.version,
        hour=hour,
        counted=tuple(counted),
    )
    return rows, state
