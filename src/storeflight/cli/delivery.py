"""`storeflight delivery check`: which packages a customer's device gets, and why (storeflight extension)."""

from __future__ import annotations

from typing import Annotated

import typer

from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, Session, session
from storeflight.client import DeliveryAnswer, Flight, StoreError

app = typer.Typer(rich_markup_mode=None, help="Ask the delivery API what a device gets.", no_args_is_help=True)


def _flight_names(s: Session, app_id: str) -> tuple[dict[str, Flight], dict[str, str]]:
    """The app's flights by id, and group names by id, to show names where the answer gives ids."""
    try:
        flights = {f.flight_id: f for f in s.flights(app_id)}
    except StoreError:
        flights = {}
    return flights, (s.group_names() if flights else {})


def _named(flight_id: str | None, flights: dict[str, Flight]) -> str:
    if not flight_id:
        return ""
    found = flights.get(flight_id)
    return f"{found.friendly_name} ({flight_id})" if found is not None and found.friendly_name else flight_id


def _groups(flight_id: str | None, flights: dict[str, Flight], names: dict[str, str]) -> str:
    found = flights.get(flight_id or "")
    return ", ".join(names.get(g, g) for g in found.group_ids or []) if found is not None else ""


def show_answer(s: Session, app_id: str, answer: DeliveryAnswer) -> None:
    def human() -> None:
        flights, names = _flight_names(s, app_id)
        pairs: list[tuple[str, object]] = [
            ("customer", answer.customer_id),
            ("submission", answer.submission_id or "none"),
            ("source", answer.source),
            ("flight", _named(answer.flight_id, flights)),
        ]
        if answer.flight_id:
            pairs.append(("flight groups", _groups(answer.flight_id, flights, names)))
        pairs += [("reason", answer.reason), ("mandatory update", answer.is_mandatory_update)]
        explained = answer.explanation
        if explained is not None:
            bucket = f"{explained.bucket} / {explained.threshold}" if explained.bucket is not None else ""
            pairs += [
                ("customer's flights", ", ".join(_named(f, flights) for f in explained.flights) or "none"),
                ("chosen flight", _named(explained.chosen_flight, flights)),
                ("bucket / threshold", bucket),
                ("inside the rollout", "" if explained.in_rollout is None else explained.in_rollout),
                ("notes", "; ".join(explained.notes)),
            ]
        rows = [(p.file_name, p.version, p.architecture, p.size) for p in answer.packages]
        s.out.fields("delivery decision", pairs)
        s.out.table("packages", ["file", "version", "architecture", "bytes"], rows)

    s.out.result(answer, human)


@app.command("check")
def check(
    app_id: AppArgument,
    customer: Annotated[str, typer.Option("--customer", help="Customer id (e-mail address or opaque id).")],
    device_family: Annotated[str, typer.Option(help="Device family.")] = "Windows.Desktop",
    os_version: Annotated[str, typer.Option(help="The device's OS version.")] = "10.0.22621.0",
    architecture: Annotated[str, typer.Option(help="x86, x64, arm or arm64.")] = "x64",
    installed_version: Annotated[str | None, typer.Option(help="The version installed (no downgrades).")] = None,
    manual_check: Annotated[bool, typer.Option(help="The user pressed 'check for updates'.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show flights, rollout bucket and threshold.")] = False,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """What the device of CUSTOMER gets for the app, and why."""
    with session(profile, json_output) as s:
        answer = s.client.check_delivery(
            app_id,
            customer,
            device_family=device_family,
            os_version=os_version,
            architecture=architecture,
            installed_version=installed_version,
            manual_check=manual_check,
            explain=explain,
        )
        show_answer(s, app_id, answer)
