"""Flight ranking: the order in which a customer in several flight groups is served."""

from __future__ import annotations

from collections.abc import Sequence

from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.models import Flight

NON_FLIGHTED = "Non-flighted submission"


def ordered(flights: Sequence[Flight]) -> list[Flight]:
    """Flights from the highest rank to the lowest."""
    return sorted(flights, key=lambda f: (-f.rank, f.created_at, f.id))


def find_rank_target(value: str, flights: Sequence[Flight]) -> Flight | None:
    """The flight `rankHigherThan` names: by friendly name or by flight id; None for the non-flighted."""
    if value.strip().lower() == NON_FLIGHTED.lower():
        return None
    for flight in flights:
        if flight.friendly_name == value or flight.id == value.lower():
            return flight
    raise InvalidParameterValue(
        f"rankHigherThan names '{value}', which is neither a flight of this app nor '{NON_FLIGHTED}'.",
        target="rankHigherThan",
    )


def reranked(flights: Sequence[Flight], new_id: str, below: Flight | None, *, at_top: bool) -> dict[str, int]:
    """Ranks after placing `new_id` at the top, or immediately above `below` (None: above non-flighted).

    Ranks are dense integers, 1 for the lowest flight; the non-flighted submission is rank 0.
    """
    order = [f.id for f in ordered(flights) if f.id != new_id]
    if at_top:
        order.insert(0, new_id)
    elif below is None:
        order.append(new_id)
    else:
        order.insert(order.index(below.id), new_id)
    return {flight_id: len(order) - index for index, flight_id in enumerate(order)}


def rank_higher_than(flight: Flight, flights: Sequence[Flight]) -> str:
    """The friendly name of the flight ranked immediately lower, or `Non-flighted submission`."""
    lower = [f for f in ordered(flights) if f.rank < flight.rank]
    return lower[0].friendly_name if lower else NON_FLIGHTED
