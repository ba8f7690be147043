"""What a decision needs that depends only on the snapshot: the line a set of groups leads to, and its rollout plan.

A customer's groups choose a line (the highest-ranked published flight, or the non-flighted line) and the
facts its explanation repeats; the line's latest submission fixes the rollout plan (the fallback a customer
outside the rollout gets, the threshold). Both are memoised on the frozen `AppView`, so a decision only looks
them up, computes the customer's bucket when a rollout is involved, and builds its answer.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NamedTuple

from storeflight.delivery.bucket import Hasher, seeded, threshold
from storeflight.delivery.model import (
    NO_EXPLANATION,
    NO_FALLBACK,
    AppView,
    Decision,
    Device,
    Explanation,
    FlightView,
    PackageView,
    Rollout,
    Source,
    SubmissionView,
)
from storeflight.delivery.reasons import Reason
from storeflight.delivery.versions import parse_version

MAX_FALLBACK_HOPS = 32
_LINE_LIMIT = 65_536  # memoised lines by customers' groups (about 1 KiB each); past it, computed each time
_DECISION_LIMIT = 1024  # memoised decisions per constant line, one per kind of device

# Read on every decision: plain names (an enum member costs a lookup through the enum machinery).
_NO_PACKAGE, _NO_FLIGHT_PACKAGE, _NEWER_INSTALLED = Reason.NO_PACKAGE, Reason.NO_FLIGHT_PACKAGE, Reason.NEWER_INSTALLED

DeviceKind = tuple[str, str, str, str | None]  # device family, OS version, architecture, installed version
DEVICE_KIND = slice(1, 5)  # `device[DEVICE_KIND]`: all a decision on a constant line depends on
if tuple(Device._fields[DEVICE_KIND]) != ("device_family", "os_version", "architecture", "installed_version"):
    raise RuntimeError("delivery.lines.DEVICE_KIND no longer matches the fields of Device")


class Plan(NamedTuple):
    """The rollout rules of one line, resolved once: `constant` lines offer `latest` to everyone."""

    latest: SubmissionView
    constant: bool
    reason: Reason  # constant lines: why `latest`
    seed: str
    hasher: Hasher  # BLAKE2b already fed the seed: `bucket.bucket_in`
    halted: bool
    limit: int  # buckets below it are inside the rollout (halted: 0)
    fallback: SubmissionView | None  # what customers outside get (None: nothing)


class Line(NamedTuple):
    """Everything a decision shares with every customer whose groups lead to the same flights."""

    flight_id: str | None
    source: str
    ids: tuple[str, ...]
    notes: tuple[str, ...]
    plan: Plan | None  # None: nothing published on any line
    explanation: Explanation  # for decisions that involve no bucket
    decisions: dict[Any, Any]  # constant lines: decisions by kind of device; others: all but the explanation
    nothing: Decision | None  # the decision when nothing is published


def fallback_of(app: AppView, latest: SubmissionView) -> SubmissionView | None:
    """The submission customers outside `latest` receive: its fallback, skipping halted ones (whose packages
    nobody new gets), so a rollout after a halt runs between the last finalized submission and the newest."""
    fallback_id = latest.fallback_id
    for _ in range(MAX_FALLBACK_HOPS):
        if fallback_id == NO_FALLBACK:
            break
        candidate = app.submissions.get(fallback_id)
        if candidate is None:
            break
        if not (candidate.is_rollout and candidate.rollout_status == Rollout.STOPPED):
            return candidate
        fallback_id = candidate.fallback_id
    return None


def plan_of(app: AppView, latest: SubmissionView) -> Plan:
    """The rollout plan of a line whose last published submission is `latest`.

    A NotStarted rollout on a published submission (not reachable through the API, which starts it at publish)
    is treated like one in progress at its configured percentage.
    """
    if not latest.is_rollout:
        return Plan(latest, True, Reason.LATEST, latest.seed, seeded(latest.seed), False, 0, None)
    if latest.rollout_status == Rollout.COMPLETE:
        return Plan(latest, True, Reason.FINALIZED, latest.seed, seeded(latest.seed), False, 0, None)
    halted = latest.rollout_status == Rollout.STOPPED
    limit = 0 if halted else threshold(latest.percentage)
    return Plan(latest, False, Reason.LATEST, latest.seed, seeded(latest.seed), halted, limit, fallback_of(app, latest))


def line_of(app: AppView, groups: Collection[str]) -> Line:
    """The line a customer in `groups` is on, memoised on the snapshot: first by the groups as given (a
    customer's tuple or set), then by the groups that lead to any flight."""
    if not groups:
        key: object = ()
    elif type(groups) is tuple or type(groups) is frozenset:
        key = groups
    else:
        key = frozenset(groups)
    lines = app.memo
    found = lines.get(key)
    if found is None:
        found = _known_line(app, groups)
        if len(lines) < _LINE_LIMIT:
            lines[key] = found
    return found


def _known_line(app: AppView, groups: Collection[str]) -> Line:
    """The line of the groups among `groups` that some flight targets: one group's line is always memoised
    (there are as many as groups), several groups' only under `line_of`'s bound."""
    by_group = app.group_index
    known = by_group.keys() & groups
    if len(known) > 1:
        return _line(app, app.flights_of(known))
    group = next(iter(known), "")
    found = app.group_memo.get(group)
    if found is None:
        found = app.group_memo[group] = _line(app, by_group.get(group, ()))
    return found


def _line(app: AppView, flights: tuple[FlightView, ...]) -> Line:
    chosen = next((f for f in flights if f.latest is not None), None)
    ids = tuple(f.id for f in flights)
    flight_id = chosen.id if chosen is not None else None
    notes = _notes(flights, flight_id)
    latest = chosen.latest if chosen is not None else app.non_flighted
    source = Source.FLIGHT if chosen is not None else Source.NON_FLIGHTED
    explanation = Explanation(ids, flight_id, None, None, None, notes) if flights else NO_EXPLANATION
    if latest is None:
        nothing = Decision(None, Source.NONE, None, (), False, None, Reason.NOTHING_PUBLISHED, explanation)
        return Line(None, Source.NONE, ids, notes, None, explanation, {}, nothing)
    return Line(flight_id, source, ids, notes, plan_of(app, latest), explanation, {}, None)


def _notes(flights: tuple[FlightView, ...], chosen: str | None) -> tuple[str, ...]:
    if not flights:
        return ()
    skipped = tuple(f"flight {f.id} has no published submission" for f in flights if f.latest is None)
    if chosen is None:
        return (*skipped, "none of the customer's flights has a published submission: non-flighted line")
    return skipped


def answer(
    line: Line,
    sub: SubmissionView | None,
    reason: Reason,
    packages: tuple[PackageView, ...],
    explanation: Explanation,
    device: Device,
) -> Decision:
    """The decision offering `sub`'s `packages` to `device`, unless they would downgrade it."""
    if sub is None:
        return Decision(None, line.source, line.flight_id, (), False, None, reason, explanation)
    if not packages:
        reason = _NO_PACKAGE if line.flight_id is None else _NO_FLIGHT_PACKAGE
    elif device.installed_version and packages[0].version_key < parse_version(device.installed_version):
        packages, reason = (), _NEWER_INSTALLED
    return Decision(
        sub.id, line.source, line.flight_id, packages, sub.is_mandatory, sub.mandatory_date, reason, explanation
    )


def remember(line: Line, kind: object, decision: object) -> None:
    if len(line.decisions) < _DECISION_LIMIT:
        line.decisions[kind] = decision
