"""Frozen snapshot of an app's published state, a device, and the delivery decision with its explanation.

The views precompute what `decide` needs on every call (parsed versions, packages ordered by version, flights
indexed by group), so a decision allocates little and never parses the snapshot again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from storeflight.delivery.versions import UNIVERSAL, Version, parse_version, runnable_architectures
from storeflight.domain.models import RolloutStatus as Rollout

__all__ = [
    "NO_EXPLANATION",
    "NO_FALLBACK",
    "AppView",
    "Decision",
    "Device",
    "Explanation",
    "FlightView",
    "PackageView",
    "Rollout",
    "Source",
    "SubmissionView",
]

NO_FALLBACK = "0"
_MEMO_LIMIT = 256


class Source(StrEnum):
    FLIGHT = "flight"
    NON_FLIGHTED = "non-flighted"
    NONE = "none"


class Device(NamedTuple):
    """The device asking: built on every request, so a plain tuple."""

    customer_id: str
    device_family: str
    os_version: str
    architecture: str
    installed_version: str | None = None
    manual_check: bool = False


@dataclass(frozen=True, slots=True)
class PackageView:
    id: str
    file_name: str
    version: str
    architecture: str
    device_families: tuple[tuple[str, str], ...]  # (family, minimum OS version); Windows.Universal = any family
    size: int
    sha256: str
    architectures: tuple[str, ...] = ()  # a bundle's application payloads'; empty: `architecture` alone
    dependencies: tuple[tuple[str, str, str], ...] = ()  # framework packages: (name, publisher, minimum version)
    version_key: Version = field(init=False, repr=False, compare=False)
    _archs: frozenset[str] = field(init=False, repr=False, compare=False)
    _families: Mapping[str, Version] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "version_key", parse_version(self.version))
        covered = self.architectures or (self.architecture,)
        object.__setattr__(self, "_archs", frozenset(a.lower() for a in covered))
        families: dict[str, Version] = {}
        for name, minimum in self.device_families:
            key = parse_version(minimum)
            families[name] = min(key, families.get(name, key))
        object.__setattr__(self, "_families", families)

    def applies_to(self, family: str, os_version: Version, runnable: frozenset[str]) -> bool:
        """True when an architecture it covers is runnable (a bundle: one of its payloads', never its own
        `neutral`) and a target family (or Universal) accepts the OS version."""
        if self._archs.isdisjoint(runnable):
            return False
        minimum = self._families.get(family)
        if minimum is not None and minimum <= os_version:
            return True
        universal = self._families.get(UNIVERSAL)
        return universal is not None and universal <= os_version


@dataclass(frozen=True, slots=True)
class SubmissionView:
    id: str
    packages: tuple[PackageView, ...]
    is_rollout: bool = False
    percentage: float = 0.0
    rollout_status: str = Rollout.NOT_STARTED
    fallback_id: str = NO_FALLBACK
    seed: str = ""
    is_mandatory: bool = False
    mandatory_date: datetime | None = None
    _by_version: tuple[PackageView, ...] = field(init=False, repr=False, compare=False)
    _memo: dict[tuple[str, str, str], tuple[PackageView, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.packages, key=lambda p: p.version_key, reverse=True)
        object.__setattr__(self, "_by_version", tuple(ordered))
        object.__setattr__(self, "_memo", {})

    def applicable(self, device: Device) -> tuple[PackageView, ...]:
        """All applicable packages of the highest applicable version (e.g. main package and resources).

        Memoised per (family, OS version, architecture): the answer depends on nothing else, and the snapshot
        is immutable. The memo is bounded; past the bound answers are computed and not stored.
        """
        key = (device.device_family, device.os_version, device.architecture)
        found = self._memo.get(key)
        if found is None:
            found = self._applicable(*key)
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[key] = found
        return found

    def _applicable(self, family: str, os_text: str, architecture: str) -> tuple[PackageView, ...]:
        os_version = parse_version(os_text)
        runnable = runnable_architectures(architecture)
        found: list[PackageView] = []
        for package in self._by_version:
            if found and package.version_key != found[0].version_key:
                break
            if package.applies_to(family, os_version, runnable):
                found.append(package)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class FlightView:
    id: str
    name: str
    rank: int  # higher = ranked higher
    group_ids: frozenset[str]
    latest: SubmissionView | None = None  # the flight's last published submission


def _index(flights: tuple[FlightView, ...]) -> dict[str, tuple[FlightView, ...]]:
    by_group: dict[str, list[FlightView]] = {}
    for flight in flights:
        for group in flight.group_ids:
            by_group.setdefault(group, []).append(flight)
    return {group: tuple(sorted(members, key=flight_order)) for group, members in by_group.items()}


def flight_order(flight: FlightView) -> tuple[int, str]:
    """Sort key: highest rank first, ties broken by id so the order is deterministic."""
    return (-flight.rank, flight.id)


@dataclass(frozen=True, slots=True)
class AppView:
    app_id: str
    non_flighted: SubmissionView | None
    flights: tuple[FlightView, ...] = ()
    submissions: Mapping[str, SubmissionView] = field(default_factory=dict)  # every published one, by id
    is_seek_enabled: bool = False
    group_index: Mapping[str, tuple[FlightView, ...]] = field(init=False, repr=False, compare=False)
    memo: dict[object, Any] = field(init=False, repr=False, compare=False)  # delivery.lines: by groups given
    group_memo: dict[str, Any] = field(init=False, repr=False, compare=False)  # delivery.lines: by one group

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_index", _index(self.flights))
        object.__setattr__(self, "memo", {})
        object.__setattr__(self, "group_memo", {})

    def flights_of(self, groups: Collection[str]) -> tuple[FlightView, ...]:
        """The flights sharing a group with the customer, highest rank first."""
        by_group = self.group_index
        if len(groups) == 1:
            for group in groups:
                return by_group.get(group, ())
        found = {flight.id: flight for group in groups for flight in by_group.get(group, ())}
        return tuple(sorted(found.values(), key=flight_order))


class Explanation(NamedTuple):
    """Why a decision came out as it did (a tuple: decisions are built on the hot path)."""

    flights: tuple[str, ...]  # ids of the customer's flights, highest rank first
    chosen_flight: str | None
    bucket: int | None
    threshold: int | None
    in_rollout: bool | None
    notes: tuple[str, ...] = ()


NO_EXPLANATION = Explanation((), None, None, None, None, ())  # in no flight, no rollout involved


class Decision(NamedTuple):
    """The delivery decision for one device."""

    submission_id: str | None
    source: str  # Source
    flight_id: str | None
    packages: tuple[PackageView, ...]
    is_mandatory: bool
    mandatory_date: datetime | None
    reason: str  # Reason
    explanation: Explanation
