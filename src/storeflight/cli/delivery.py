"""`storeflight delivery check`: which packages a customer's device gets, and why (storeflight extension)."""

from __future__ import annotations

from typing import Annotated

import typer

from storeflight.cli.output import JsonOption, Output
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, session
from storeflight.client import DeliveryAnswer

app = typer.Typer(rich_markup_mode=None, help="Ask the delivery API what a device gets.", no_args_is_help=True)


def show_answer(out: Output, answer: DeliveryAnswer) -> None:
    pairs: list[tuple[str, object]] = [
        ("customer", answer.customer_id),
        ("submission", answer.submission_id or "none"),
        ("source", answer.source),
        ("flight", answer.flight_id or ""),
        ("reason", answer.reason),
        ("mandatory update", answer.is_mandatory_update),
    ]
    explained = answer.explanation
    if explained is not None:
        pairs += [
            ("customer's flights", ", ".join(explained.flights) or "none"),
            ("chosen flight", explained.chosen_flight or ""),
            (
                "bucket / threshold",
                f"{explained.bucket} / {explained.threshold}" if explained.bucket is not None else "",
            ),
            ("inside the rollout", "" if explained.in_rollout is None else explained.in_rollout),
            ("notes", "; ".join(explained.notes)),
        ]
    rows = [(p.file_name, p.version, p.architecture, p.size) for p in answer.packages]

    def human() -> None:
        out.fields("delivery decision", pairs)
        out.table("packages", ["file", "version", "architecture", "bytes"], rows)

    out.result(answer, human)


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
        show_answer(s.out, answer)
