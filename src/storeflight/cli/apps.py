"""`storeflight apps list|show`."""

from __future__ import annotations

import typer

from storeflight.cli.output import JsonOption
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, _ref_id, session

app = typer.Typer(rich_markup_mode=None, help="Your applications.", no_args_is_help=True)


@app.command("list")
def list_apps(profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """List every application the client may see."""
    with session(profile, json_output) as s:
        apps = list(s.client.iter_applications())
        rows = [
            (
                a.id,
                a.primary_name,
                _ref_id(a.pending_application_submission) or "",
                _ref_id(a.last_published_application_submission) or "",
            )
            for a in apps
        ]
        s.out.result(
            apps, lambda: s.out.table("applications", ["id", "name", "pending submission", "last published"], rows)
        )


@app.command("show")
def show_app(app_id: AppArgument, profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """Show one application and its flights."""
    with session(profile, json_output) as s:
        application = s.client.get_application(app_id)
        flights = s.flights(app_id)
        devices = s.client.device_settings(app_id)

        def human() -> None:
            s.out.fields(
                f"application {application.id}",
                [
                    ("name", application.primary_name),
                    ("package family name", application.package_family_name),
                    ("pending submission", _ref_id(application.pending_application_submission)),
                    ("last published submission", _ref_id(application.last_published_application_submission)),
                    ("flights", ", ".join(f.friendly_name or f.flight_id for f in flights) or "none"),
                    ("public delivery (no key)", devices.get("public", False)),
                ],
            )

        s.out.result({"application": application, "flights": flights, "deviceSettings": devices}, human)
