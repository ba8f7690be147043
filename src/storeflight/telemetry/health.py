"""A rollout's health numbers from the stored counters and device states. Pure: exact sums, rates derived.

Per cohort (inside the rollout, on the fallback, or all when no rollout is in progress): events counted
since the rollout's submission became the line's latest, the devices whose latest report placed them there,
and per version. Rates are ratios of exact counts: crashes per launch, and update failures per update attempt
(installs plus failures); None when there is nothing to divide by.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storeflight.telemetry.cohort import Cohort
from storeflight.telemetry.tally import Counts, RowKey


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Totals:
    """Counters summed over rows; `devices` here are distinct devices now (from their states), and
    `device_hours` the sum of distinct devices per hour."""

    counts: Counts = field(default_factory=Counts)
    device_hours: int = 0

    def add(self, counts: Counts) -> None:
        devices = self.counts.devices
        self.counts.add(counts)
        self.counts.devices = devices
        self.device_hours += counts.devices

    @property
    def crash_rate(self) -> float | None:
        return rate(self.counts.crashes, self.counts.launches)

    @property
    def update_failure_rate(self) -> float | None:
        return rate(self.counts.update_failures, self.counts.installs + self.counts.update_failures)


@dataclass
class CohortHealth:
    cohort: Cohort
    totals: Totals = field(default_factory=Totals)
    versions: dict[tuple[str, str], Totals] = field(default_factory=dict)  # (submission id, version) -> totals


@dataclass(frozen=True)
class Hour:
    start: datetime
    cohort: Cohort
    counts: Counts  # `devices`: distinct devices that reported in this hour


@dataclass
class Health:
    rollout_submission_id: str
    cohorts: dict[Cohort, CohortHealth]
    adoption: list[tuple[str, str, int]]  # (version, submission id, devices), most devices first
    hours: list[Hour]

    @property
    def devices(self) -> int:
        return sum(devices for _, _, devices in self.adoption)


def summarise(
    rollout_submission_id: str,
    rows: Iterable[tuple[RowKey, int, Counts]],
    devices: Iterable[tuple[str, Cohort, str, str, int]],
) -> Health:
    """The health of the rollout of `rollout_submission_id` from its line's counters and device counts."""
    cohorts: dict[Cohort, CohortHealth] = {}
    hours: dict[tuple[int, Cohort], Counts] = {}
    for key, hour, counts in rows:
        if key.rollout_submission_id != rollout_submission_id:
            continue
        health = cohorts.setdefault(key.cohort, CohortHealth(key.cohort))
        health.totals.add(counts)
        health.versions.setdefault((key.submission_id, key.version), Totals()).add(counts)
        hours.setdefault((hour, key.cohort), Counts()).add(counts)
    adoption: dict[tuple[str, str], int] = {}
    for rollout, cohort, submission_id, version, n in devices:
        if rollout != rollout_submission_id:
            continue
        health = cohorts.setdefault(cohort, CohortHealth(cohort))
        health.totals.counts.devices += n
        health.versions.setdefault((submission_id, version), Totals()).counts.devices += n
        adoption[(version, submission_id)] = adoption.get((version, submission_id), 0) + n
    ordered = sorted(adoption.items(), key=lambda item: (-item[1], item[0]))
    return Health(
        rollout_submission_id,
        dict(sorted(cohorts.items())),
        [(version, sub, n) for (version, sub), n in ordered],
        [Hour(datetime.fromtimestamp(h * 3600, UTC), c, counts) for (h, c), counts in sorted(hours.items())],
    )
