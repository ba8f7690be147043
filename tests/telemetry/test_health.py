"""Health numbers: exact sums per cohort and version, rates from them, only the asked rollout's rows."""

from __future__ import annotations

from storeflight.telemetry.cohort import Cohort
from storeflight.telemetry.health import summarise
from storeflight.telemetry.tally import Counts, RowKey


def test_sums_per_cohort_version_and_hour() -> None:
    new = RowKey("", "200", Cohort.ROLLOUT, "200", "2.0.0.0")
    old = RowKey("", "200", Cohort.FALLBACK, "100", "1.0.0.0")
    other = RowKey("", "150", Cohort.ROLLOUT, "150", "1.5.0.0")
    rows = [
        (new, 10, Counts(devices=3, installs=3, update_failures=1, launches=10, crashes=2)),
        (new, 11, Counts(devices=2, launches=10)),
        (old, 10, Counts(devices=5, launches=20, crashes=1, heartbeats=4)),
        (other, 10, Counts(devices=9, crashes=9)),
    ]
    devices = [("200", Cohort.ROLLOUT, "200", "2.0.0.0", 3), ("200", Cohort.FALLBACK, "100", "1.0.0.0", 5)]
    devices.append(("150", Cohort.ROLLOUT, "150", "1.5.0.0", 7))
    health = summarise("200", rows, devices)
    rollout, fallback = health.cohorts[Cohort.ROLLOUT], health.cohorts[Cohort.FALLBACK]
    assert list(health.cohorts) == [Cohort.FALLBACK, Cohort.ROLLOUT]
    assert rollout.totals.counts == Counts(devices=3, installs=3, update_failures=1, launches=20, crashes=2)
    assert rollout.totals.device_hours == 5
    assert rollout.totals.crash_rate == 0.1
    assert rollout.totals.update_failure_rate == 0.25
    assert fallback.totals.crash_rate == 0.05
    assert fallback.totals.update_failure_rate is None
    assert rollout.versions[("200", "2.0.0.0")].counts.launches == 20
    assert health.adoption == [("1.0.0.0", "100", 5), ("2.0.0.0", "200", 3)]
    assert health.devices == 8
    assert [(h.start.hour, h.cohort.value, h.counts.devices) for h in health.hours] == [
        (10, "fallback", 5),
        (10, "rollout", 3),
        (11, "rollout", 2),
    ]


def test_nothing_reported() -> None:
    health = summarise("200", [], [])
    assert (health.cohorts, health.adoption, health.hours, health.devices) == ({}, [], [], 0)
