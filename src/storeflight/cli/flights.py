"""`storeflight flights list|show|create|delete|update`."""

from __future__ import annotations

from typing import Annotated

import typer

from storeflight.cli.confirm import YesOption, confirm
from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, Session, _ref_id, session
from storeflight.client import Flight

app = typer.Typer(rich_markup_mode=None, help="Package flights of an app.", no_args_is_help=True)

FlightArgument = Annotated[str, typer.Argument(help="The flight's name or id.")]
GroupsOption = Annotated[
    list[str] | None, typer.Option("--group", help="A flight group id (`storeflight groups list`); repeat for more.")
]
RankOption = Annotated[
    str | None,
    typer.Option(
        "--rank-higher-than",
        help='Place it just above this flight (name or id); "Non-flighted submission" makes it the lowest.',
    ),
]

COLUMNS = ["id", "name", "groups", "rank higher than", "pending", "last published"]


def _row(flight: Flight, names: dict[str, str]) -> tuple[str, ...]:
    return (
        flight.flight_id,
        flight.friendly_name or "",
        ", ".join(f"{names[g]} ({g})" if g in names else g for g in flight.group_ids or []),
        flight.rank_higher_than or "",
        _ref_id(flight.pending_flight_submission) or "",
        _ref_id(flight.last_published_flight_submission) or "",
    )


def _show(s: Session, flight: Flight) -> None:
    def human() -> None:
        pairs = list(zip(COLUMNS, _row(flight, s.group_names()), strict=True))
        s.out.fields(f"flight {flight.friendly_name}", pairs)

    s.out.result(flight, human)


@app.command("list")
def list_flights(app_id: AppArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """List the app's flights, highest rank first."""
    with session(profile, json_output) as s:
        flights = s.flights(app_id)
        def human() -> None:
            names = s.group_names()
            title = f"flights of {s.client.get_application(app_id).primary_name or app_id}"
            s.out.table(title, COLUMNS, [_row(f, names) for f in flights])

        s.out.result(flights, human)


@app.command("show")
def show_flight(
    app_id: AppArgument, flight: FlightArgument, profile: ProfileOption = None, json_output: JsonOption = False
) -> None:
    """Show one flight."""
    with session(profile, json_output) as s:
        found = s.flight(app_id, flight)
        assert found is not None
        _show(s, s.client.get_flight(app_id, found.flight_id))


@app.command("create")
def create_flight(
    app_id: AppArgument,
    name: Annotated[str, typer.Option("--name", help="The flight's friendly name (unique in the app).")],
    group: GroupsOption = None,
    rank_higher_than: RankOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a flight (the server creates its first, empty submission with it)."""
    if not group:
        raise typer.BadParameter("give at least one --group")
    with session(profile, json_output) as s:
        _show(s, s.client.create_flight(app_id, name, list(group), rank_higher_than))


@app.command("update")
def update_flight(
    app_id: AppArgument,
    flight: FlightArgument,
    name: Annotated[str | None, typer.Option("--name", help="New friendly name.")] = None,
    group: GroupsOption = None,
    rank_higher_than: RankOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Rename a flight, change its groups (the list replaces the old one) or its rank (storeflight extension)."""
    if name is None and not group and rank_higher_than is None:
        raise typer.BadParameter("give --name, --group or --rank-higher-than")
    with session(profile, json_output) as s:
        flight_id = s.flight_id(app_id, flight)
        assert flight_id is not None
        updated = s.client.update_flight(
            app_id, flight_id, name=name, group_ids=list(group) if group else None, rank_higher_than=rank_higher_than
        )
        _show(s, updated)


@app.command("delete")
def delete_flight(
    app_id: AppArgument,
    flight: FlightArgument,
    yes: YesOption = False,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Delete a flight (with its pending submission and earlier submissions); asks first if it has published."""
    with session(profile, json_output) as s:
        found = s.flight(app_id, flight)
        assert found is not None
        flight_id = found.flight_id
        if found.last_published_flight_submission:
            question = f"flight {found.friendly_name} has published submissions its members receive; delete it?"
            confirm(s.out, question, yes)
        s.client.delete_flight(app_id, flight_id)
        s.out.result({"deleted": flight_id}, lambda: s.out.say(f"deleted flight {flight} ({flight_id})"))
