"""What every server command shares: the profile, a client, the output, and finding flights and submissions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from storeflight.cli.output import CliError, ExitCode, Output, guard
from storeflight.cli.profiles import Profile, resolve
from storeflight.client import Flight, StoreClient, StoreError

AppArgument = Annotated[str, typer.Argument(help="The app's Store ID (`storeflight apps list`).")]
FlightOption = Annotated[
    str | None,
    typer.Option("--flight", help="A flight's name or id: work on its submissions (default: the app's own)."),
]
SubmissionOption = Annotated[
    str | None,
    typer.Option("--submission", help="Submission id (default: the pending one, or the last published one)."),
]


@dataclass
class Session:
    out: Output
    client: StoreClient
    profile: Profile

    def group_names(self) -> dict[str, str]:
        """Flight group id -> name, to show names where the API gives ids. Empty where groups cannot be listed
        (Microsoft's service keeps them in Partner Center)."""
        try:
            return {g.id: g.name for g in self.client.list_groups() if g.name}
        except StoreError:
            return {}

    def flights(self, app_id: str) -> list[Flight]:
        """The app's flights, highest rank first ([] for an app without any)."""
        return self.client.list_flights(app_id)

    def flight(self, app_id: str, name_or_id: str | None) -> Flight | None:
        """The flight a --flight value names (id or friendly name, any case); None when not given."""
        if name_or_id is None:
            return None
        wanted = name_or_id.strip().lower()
        flights = self.flights(app_id)
        for flight in flights:
            if flight.flight_id.lower() == wanted or (flight.friendly_name or "").lower() == wanted:
                return flight
        names = ", ".join(f.friendly_name or f.flight_id for f in flights) or "none"
        raise CliError(
            ExitCode.NOT_FOUND,
            f"app {app_id} has no flight named {name_or_id!r} (flights: {names})",
            f"`storeflight flights list {app_id}` shows them; `storeflight flights create` makes one",
        )

    def flight_id(self, app_id: str, name_or_id: str | None) -> str | None:
        flight = self.flight(app_id, name_or_id)
        return flight.flight_id if flight else None

    def pending_id(self, app_id: str, flight: Flight | None) -> str | None:
        """The id of the pending submission of the flight (or of the app)."""
        ref = (
            flight.pending_flight_submission
            if flight
            else self.client.get_application(app_id).pending_application_submission
        )
        return _ref_id(ref)

    def published_id(self, app_id: str, flight: Flight | None) -> str | None:
        """The id of the last published submission of the flight (or of the app)."""
        if flight:
            ref = flight.last_published_flight_submission
        else:
            ref = self.client.get_application(app_id).last_published_application_submission
        return _ref_id(ref)

    def submission_id(self, app_id: str, flight: Flight | None, given: str | None, *, published: bool = False) -> str:
        """`given`, or else the pending (or with `published`, the last published) submission's id."""
        if given:
            return given
        found = self.published_id(app_id, flight) if published else self.pending_id(app_id, flight)
        if found is None:
            kind = "published" if published else "pending"
            owner = f"flight {flight.friendly_name}" if flight else f"app {app_id}"
            raise CliError(ExitCode.NOT_FOUND, f"{owner} has no {kind} submission", "pass --submission ID")
        return found


def _ref_id(ref: Any) -> str | None:
    if ref is None:
        return None
    value = ref.get("id") if isinstance(ref, dict) else getattr(ref, "id", None)
    return str(value) if value else None


@contextmanager
def session(profile: str | None, json_output: bool) -> Iterator[Session]:
    """Resolve the profile, open a client, and map every error to its exit code (`output.guard`)."""
    out = Output(json_output)
    with guard(out):
        resolved = resolve(profile)
        out.where = resolved.base_url
        with StoreClient(resolved.config()) as client:
            yield Session(out, client, resolved)
