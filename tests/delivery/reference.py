"""The delivery decision as it was before its memoised form (`delivery.lines`): the reference the property
test compares every decision of the current code with."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from storeflight.delivery.bucket import bucket, threshold
from storeflight.delivery.model import (
    NO_EXPLANATION,
    NO_FALLBACK,
    AppView,
    Decision,
    Device,
    Explanation,
    FlightView,
    Rollout,
    Source,
    SubmissionView,
)
from storeflight.delivery.reasons import Reason
from storeflight.delivery.versions import parse_version

_MAX_FALLBACK_HOPS = 32


class Pick(NamedTuple):
    """The outcome of the rollout rules on one line: the submission offered (if any) and the bucket facts."""

    submission: SubmissionView | None
    reason: Reason
    bucket: int | None = None
    threshold: int | None = None
    in_rollout: bool | None = None


def decide(app: AppView, device: Device, groups: Collection[str]) -> Decision:
    """The decision for `device` of a customer whose flight group ids are `groups`."""
    flights = app.flights_of(groups) if groups else ()
    chosen = _highest_published(flights)
    if chosen is not None and chosen.latest is not None:
        return _decide_line(app, device, chosen.latest, chosen.id, flights)
    if app.non_flighted is not None:
        return _decide_line(app, device, app.non_flighted, None, flights)
    explanation = Explanation(_ids(flights), None, None, None, None, _notes(flights, None))
    return Decision(None, Source.NONE, None, (), False, None, Reason.NOTHING_PUBLISHED, explanation)


def _highest_published(flights: tuple[FlightView, ...]) -> FlightView | None:
    """The highest-ranked flight with a published submission, regardless of package versions."""
    for flight in flights:
        if flight.latest is not None:
            return flight
    return None


def _ids(flights: tuple[FlightView, ...]) -> tuple[str, ...]:
    return tuple(f.id for f in flights) if flights else ()


def _notes(flights: tuple[FlightView, ...], chosen: str | None) -> tuple[str, ...]:
    if not flights:
        return ()
    skipped = tuple(f"flight {f.id} has no published submission" for f in flights if f.latest is None)
    if chosen is None:
        return (*skipped, "none of the customer's flights has a published submission: non-flighted line")
    return skipped


def _decide_line(
    app: AppView, device: Device, latest: SubmissionView, flight_id: str | None, flights: tuple[FlightView, ...]
) -> Decision:
    sub, reason, position, limit, in_rollout = pick_submission(app, latest, device)
    if flights or position is not None:
        explanation = Explanation(_ids(flights), flight_id, position, limit, in_rollout, _notes(flights, flight_id))
    else:
        explanation = NO_EXPLANATION
    source = Source.NON_FLIGHTED if flight_id is None else Source.FLIGHT
    if sub is None:
        return Decision(None, source, flight_id, (), False, None, reason, explanation)
    packages = sub.applicable(device)
    if not packages:
        reason = Reason.NO_PACKAGE if flight_id is None else Reason.NO_FLIGHT_PACKAGE
    elif device.installed_version and packages[0].version_key < parse_version(device.installed_version):
        packages, reason = (), Reason.NEWER_INSTALLED
    return Decision(sub.id, source, flight_id, packages, sub.is_mandatory, sub.mandatory_date, reason, explanation)


def pick_submission(app: AppView, latest: SubmissionView, device: Device) -> Pick:
    """The rollout rules on one line (a flight or the non-flighted line) whose last published is `latest`.

    A NotStarted rollout on a published submission (not reachable through the API, which starts it at publish)
    is treated like one in progress at its configured percentage.
    """
    status = latest.rollout_status
    if not latest.is_rollout:
        return Pick(latest, Reason.LATEST)
    if status == Rollout.COMPLETE:
        return Pick(latest, Reason.FINALIZED)
    position = bucket(device.customer_id, latest.seed)
    if status == Rollout.STOPPED:
        return _fallback(app, latest, Reason.HALTED, position, 0)
    limit = threshold(latest.percentage)
    if position < limit:
        return Pick(latest, Reason.IN_ROLLOUT, position, limit, True)
    if app.is_seek_enabled and device.manual_check:
        return Pick(latest, Reason.MANUAL_SEEK, position, limit, False)
    return _fallback(app, latest, Reason.OUTSIDE_ROLLOUT, position, limit)


def _fallback(app: AppView, latest: SubmissionView, reason: Reason, position: int, limit: int) -> Pick:
    """The submission customers outside `latest` receive: its fallback, skipping halted ones (whose packages
    nobody new gets), so a rollout after a halt runs between the last finalized submission and the newest."""
    fallback_id = latest.fallback_id
    for _ in range(_MAX_FALLBACK_HOPS):
        if fallback_id == NO_FALLBACK:
            break
        candidate = app.submissions.get(fallback_id)
        if candidate is None:
            break
        if not (candidate.is_rollout and candidate.rollout_status == Rollout.STOPPED):
            return Pick(candidate, reason, position, limit, False)
        fallback_id = candidate.fallback_id
    return Pick(None, Reason.NO_FALLBACK, position, limit, False)
