"""Package flights: create, read, list, modify (a storeflight extension), delete."""

from __future__ import annotations

from dataclasses import dataclass

from storeflight.audit import snapshots as snap
from storeflight.domain import flights as ranking
from storeflight.domain import ids, text
from storeflight.domain import submissions as subs
from storeflight.domain.errors import InvalidParameterValue, InvalidState, NotFound
from storeflight.domain.lifecycle import IN_PIPELINE, Operation, check_allowed
from storeflight.domain.models import Flight, Origin, Submission
from storeflight.services.context import Context, load_app
from storeflight.storage.protocol import StorageConflict, Tx


@dataclass(frozen=True)
class FlightView:
    """A flight with what its wire form needs: pointers and the name of the next-lower flight."""

    flight: Flight
    rank_higher_than: str
    pending: Submission | None
    last_published: Submission | None


@dataclass(frozen=True)
class NewFlight:
    friendly_name: str
    group_ids: list[str]
    rank_higher_than: str | None


@dataclass(frozen=True)
class FlightChange:
    """What a modify request changes; None leaves a field as it is.

    `rank_changed` says whether `rankHigherThan` was sent at all: then None (or "") means the top.
    """

    friendly_name: str | None = None
    group_ids: list[str] | None = None
    rank_changed: bool = False
    rank_higher_than: str | None = None


def view(tx: Tx, flight: Flight, siblings: list[Flight]) -> FlightView:
    key = f"flight:{flight.id}"
    return FlightView(
        flight=flight,
        rank_higher_than=ranking.rank_higher_than(flight, siblings),
        pending=tx.pending_submission(key),
        last_published=tx.last_published(key),
    )


def get(tx: Tx, ctx: Context, app_id: str, flight_id: str) -> FlightView:
    app = load_app(tx, ctx, app_id)
    flight = load_flight(tx, ctx, app.id, flight_id)
    return view(tx, flight, tx.list_flights(ctx.caller.tenant_id, app.id))


def load_flight(tx: Tx, ctx: Context, app_id: str, flight_id: str) -> Flight:
    flight = tx.get_flight(ctx.caller.tenant_id, app_id, flight_id.lower())
    if flight is None:
        raise NotFound(f"The flight '{flight_id}' was not found.", target="flight")
    return flight


def list_page(tx: Tx, ctx: Context, app_id: str, *, skip: int, top: int) -> tuple[list[FlightView], int]:
    app = load_app(tx, ctx, app_id)
    flights = tx.list_flights(ctx.caller.tenant_id, app.id)
    if not flights and skip == 0:
        raise NotFound("No package flights were found.", target="flight")
    page = ranking.ordered(flights)[skip : skip + top]
    return [view(tx, f, flights) for f in page], len(flights)


def create(tx: Tx, ctx: Context, app_id: str, request: NewFlight) -> FlightView:
    """A new flight, ranked as asked, with its first PendingCommit submission."""
    app = load_app(tx, ctx, app_id, lock=True)
    if tx.last_published(f"app:{app.id}") is None:
        raise InvalidState(
            "A package flight can only be created after the app has a published submission.", target="flight"
        )
    name = _check_name(request.friendly_name)
    group_ids = _check_groups(tx, ctx, request.group_ids)
    if ctx.quotas.flights:
        ctx.quotas.check("flights", tx.count_flights(ctx.caller.tenant_id), 1)
    siblings = tx.list_flights(ctx.caller.tenant_id, app.id)
    if any(f.friendly_name == name for f in siblings):
        raise InvalidParameterValue(f"A flight named '{name}' already exists for this app.", target="friendlyName")
    below = ranking.find_rank_target(request.rank_higher_than, siblings) if request.rank_higher_than else None
    flight = Flight(
        id=ids.new_flight_id(),
        tenant_id=ctx.caller.tenant_id,
        app_id=app.id,
        friendly_name=name,
        group_ids=group_ids,
        rank=0,
        created_at=ctx.now,
    )
    ranks = ranking.reranked(siblings, flight.id, below, at_top=not request.rank_higher_than)
    flight = flight.model_copy(update={"rank": ranks.pop(flight.id)})
    try:
        tx.add_flight(flight)
        tx.bump_delivery_version(app.tenant_id, app.id, members=True)
    except StorageConflict:
        raise InvalidParameterValue(f"A flight named '{name}' already exists for this app.") from None
    tx.set_flight_ranks(ranks)
    first = subs.fresh(ctx.new_identity(app.id, flight.id))
    tx.add_submission(first)
    tx.add_event(first.id, ctx.now, None, first.status.value, ctx.caller.client_id)
    ctx.record(tx, "submission.create", "submission", first.id, None, snap.submission(first))
    ctx.record(tx, "flight.create", "flight", flight.id, None, snap.flight(flight))
    return view(tx, flight, [*siblings, flight])


def modify(tx: Tx, ctx: Context, app_id: str, flight_id: str, change: FlightChange) -> FlightView:
    """Rename, regroup or re-rank a flight, as Partner Center can; not while an update is in the pipeline."""
    app = load_app(tx, ctx, app_id, lock=True)
    flight = load_flight(tx, ctx, app.id, flight_id)
    pending = tx.pending_submission(f"flight:{flight.id}")
    if pending is not None and pending.status in IN_PIPELINE:
        raise InvalidState(
            f"The flight cannot be modified while its submission {pending.id} is {pending.status.value}.",
            target="flight",
        )
    siblings = tx.list_flights(ctx.caller.tenant_id, app.id)
    others = [f for f in siblings if f.id != flight.id]
    before = snap.flight(flight)
    updates: dict[str, object] = {}
    if change.friendly_name is not None:
        name = _check_name(change.friendly_name)
        if any(f.friendly_name == name for f in others):
            raise InvalidParameterValue(f"A flight named '{name}' already exists for this app.", target="friendlyName")
        updates["friendly_name"] = name
    if change.group_ids is not None:
        updates["group_ids"] = _check_groups(tx, ctx, change.group_ids)
    if change.rank_changed:
        ranks = _new_ranks(flight, siblings, others, change.rank_higher_than)
        updates["rank"] = ranks.pop(flight.id)
        tx.set_flight_ranks(ranks)
    flight = flight.model_copy(update=updates)
    try:
        tx.update_flight(flight)
        tx.bump_delivery_version(app.tenant_id, app.id, members=True)
    except StorageConflict:
        raise InvalidParameterValue(f"A flight named '{flight.friendly_name}' already exists for this app.") from None
    ctx.record(tx, "flight.update", "flight", flight.id, before, snap.flight(flight))
    return view(tx, flight, tx.list_flights(ctx.caller.tenant_id, app.id))


def _new_ranks(flight: Flight, siblings: list[Flight], others: list[Flight], target: str | None) -> dict[str, int]:
    """Ranks after moving `flight` to the top (no target) or immediately above the flight `target` names."""
    if target and (target == flight.friendly_name or target.lower() == flight.id):
        raise InvalidParameterValue("A flight cannot be ranked higher than itself.", target="rankHigherThan")
    below = ranking.find_rank_target(target, others) if target else None
    return ranking.reranked(siblings, flight.id, below, at_top=not target)


def _check_name(name: str) -> str:
    name = text.check(name, "friendlyName").strip()
    if not name or len(name) > 256:
        raise InvalidParameterValue(
            "friendlyName must be a non-empty name of at most 256 characters.", target="friendlyName"
        )
    return name


def _check_groups(tx: Tx, ctx: Context, group_ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(group_ids))
    if not wanted:
        raise InvalidParameterValue("groupIds must name at least one flight group.", target="groupIds")
    known = {g.id for g in tx.get_groups(ctx.caller.tenant_id, wanted)}
    unknown = [g for g in wanted if g not in known]
    if unknown:
        raise InvalidParameterValue(f"Unknown flight group id(s): {', '.join(unknown)}.", target="groupIds")
    return wanted


def delete(tx: Tx, ctx: Context, app_id: str, flight_id: str) -> None:
    """Delete a flight. Its API-made pending submission goes with it if it could be deleted on its own."""
    app = load_app(tx, ctx, app_id, lock=True)
    flight = load_flight(tx, ctx, app.id, flight_id)
    pending = tx.pending_submission(f"flight:{flight.id}")
    if pending is not None:
        if pending.origin != Origin.API:
            raise InvalidState(
                "The flight has an in-progress submission made in Partner Center; delete it first.", target="flight"
            )
        try:
            check_allowed(Operation.DELETE, pending.status)
        except InvalidState:
            raise InvalidState(
                f"The flight could not be deleted in its current state: its submission {pending.id} is "
                f"{pending.status.value}.",
                target="flight",
            ) from None
    _discard_blobs(tx, ctx, app.id, flight.id, pending)
    tx.delete_flight(flight.id)
    tx.bump_delivery_version(app.tenant_id, app.id, members=True)
    if pending is not None:
        ctx.record(tx, "submission.delete", "submission", pending.id, snap.submission(pending), None)
    ctx.record(tx, "flight.delete", "flight", flight.id, snap.flight(flight), None)


def _discard_blobs(tx: Tx, ctx: Context, app_id: str, flight_id: str, pending: Submission | None) -> None:
    """The blobs only this flight's submissions use: packages are shared by clones, and a flight's
    submissions are cloned only from the same flight's."""
    if pending is not None:
        tx.discard_blob(pending.upload_blob_id, ctx.now)
    for published in tx.published_submissions(app_id):
        if published.flight_id == flight_id:
            for package in published.packages:
                tx.discard_blob(ids.package_blob(package.id), ctx.now)
