"""Which rollout cohort a device counts in, by the delivery rules: inside the rollout, on the fallback, or all.

Pure, over the same `AppView` snapshot delivery decides from, so a device is counted where delivery places it.
The cohort follows the bucket alone (position below the rollout's threshold): a halted rollout keeps its two
cohorts apart, so the devices that got the halted version stay comparable with the others.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from storeflight.delivery.bucket import bucket, threshold
from storeflight.delivery.decide import decide
from storeflight.delivery.model import NO_FALLBACK, AppView, Device, Rollout, SubmissionView
from storeflight.delivery.versions import parse_version

NON_FLIGHTED = ""  # the line of an app's non-flighted submissions


class Cohort(StrEnum):
    ROLLOUT = "rollout"  # inside the rollout percentage of the line's latest submission
    FALLBACK = "fallback"  # outside it: the fallback submission
    ALL = "all"  # no rollout in progress (none, or finalized): one cohort


@dataclass(frozen=True, slots=True)
class Placement:
    line: str  # the flight id, or NON_FLIGHTED
    rollout_submission_id: str  # the line's latest published submission ("" when the app has none)
    cohort: Cohort


def place(app: AppView, customer_id: str, groups: Collection[str]) -> Placement:
    """Where the customer's device counts now: its line (the flight delivery chooses) and its cohort."""
    decision = decide(app, Device(customer_id, "Windows.Desktop", "0", "x64"), groups)
    line = decision.flight_id or NON_FLIGHTED
    latest = _latest(app, decision.flight_id)
    if latest is None:
        return Placement(line, "", Cohort.ALL)
    return Placement(line, latest.id, cohort_of(latest, customer_id))


def cohort_of(latest: SubmissionView, customer_id: str) -> Cohort:
    if not latest.is_rollout or latest.rollout_status == Rollout.COMPLETE:
        return Cohort.ALL
    inside = bucket(customer_id, latest.seed) < threshold(latest.percentage)
    return Cohort.ROLLOUT if inside else Cohort.FALLBACK


def _latest(app: AppView, flight_id: str | None) -> SubmissionView | None:
    if flight_id is None:
        return app.non_flighted
    return next((f.latest for f in app.flights if f.id == flight_id), None)


def submission_of(app: AppView, placement: Placement, version: str, given: str | None) -> str:
    """The published submission an event's version belongs to ("" when none has it): the one the event names
    if it is published, else the line's latest or one of its fallbacks with a package of that version, else
    any published submission with one."""
    if given is not None and given in app.submissions:
        return given
    wanted = parse_version(version)
    chain: list[SubmissionView] = []
    current = app.submissions.get(placement.rollout_submission_id)
    while current is not None and len(chain) < 32:
        chain.append(current)
        current = app.submissions.get(current.fallback_id) if current.fallback_id != NO_FALLBACK else None
    for sub in (*chain, *app.submissions.values()):
        if any(p.version_key == wanted for p in sub.packages):
            return sub.id
    return ""
