"""`storeflight submission new|show|status|update|upload|commit|wait|release|delete`.

`--flight NAME_OR_ID` works on that flight's submissions; without it, on the app's non-flighted ones.
Without `--submission`, a command works on the pending submission (or, for show/status/wait/delete, the
last published one when none is pending).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from storeflight.cli.confirm import YesOption, confirm
from storeflight.cli.output import CliError, JsonOption, Output
from storeflight.cli.package import check_files
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, FlightOption, Session, SubmissionOption, session
from storeflight.cli.steps import (
    Changes,
    MandatoryDate,
    MandatoryOption,
    NoRolloutOption,
    NotesOption,
    PackageFiles,
    PollOption,
    PublishDate,
    PublishModeOption,
    ReplaceFiles,
    RolloutOption,
    TimeoutOption,
    upload,
    wait,
)
from storeflight.client import Package, Submission, SubmissionStatus
from storeflight.client.wait import Until

app = typer.Typer(
    rich_markup_mode=None,
    help="One submission at a time: create, change, upload, commit, wait, delete.",
    no_args_is_help=True,
)


# ---- rendering ----------------------------------------------------------------------------------------------


def show_submission(out: Output, sub: Submission) -> None:
    options = sub.package_delivery_options
    rollout = options.package_rollout if options else None
    pairs = [
        ("id", sub.id),
        ("status", sub.status),
        ("flight", sub.flight_id or "(non-flighted)"),
        ("publish mode", sub.target_publish_mode),
        ("rollout", _rollout_text(rollout.is_package_rollout, rollout.package_rollout_percentage) if rollout else ""),
        ("mandatory update", options.is_mandatory_update if options else False),
        ("errors", "; ".join(f"{e.code}: {e.details}" for e in sub.status_details.errors)),
    ]
    packages = [(p.file_name, p.file_status, p.version, _architecture(p)) for p in sub.application_packages]

    def human() -> None:
        out.fields(f"submission {sub.id}", pairs)
        out.table("packages", ["file", "status", "version", "architecture"], packages)

    out.result(sub, human)


def _architecture(package: Package) -> str:
    """A bundle's own architecture is often "neutral": the devices it applies to run its payloads' ones."""
    if not package.architectures:
        return package.architecture
    payloads = f"payloads {', '.join(package.architectures)}"
    return f"{package.architecture} ({payloads})" if package.architecture else payloads


def _rollout_text(on: bool, percentage: float) -> str:
    return f"{percentage:g}%" if on else "off"


def show_status(out: Output, sub_id: str, status: SubmissionStatus) -> None:
    details = status.status_details
    rows = [("error", e.code, e.details) for e in details.errors] + [
        ("warning", w.code, w.details) for w in details.warnings
    ]
    rows += [("report", "", r.report_url) for r in details.certification_reports]

    def human() -> None:
        out.say(f"submission {sub_id}: [bold]{status.status}[/]")
        if rows:
            out.table("status details", ["kind", "code", "details"], rows)

    out.result({"id": sub_id, **status.raw} if status.raw else status, human)


# ---- commands -----------------------------------------------------------------------------------------------


def _target(s: Session, app_id: str, flight: str | None, given: str | None, published: bool) -> tuple[str | None, str]:
    found = s.flight(app_id, flight)
    flight_id = found.flight_id if found else None
    try:
        return flight_id, s.submission_id(app_id, found, given)
    except CliError:
        if not published:
            raise
        return flight_id, s.submission_id(app_id, found, given, published=True)


@app.command("new")
def new(
    app_id: AppArgument, flight: FlightOption = None, profile: ProfileOption = None, json_output: JsonOption = False
) -> None:
    """Create a submission (a copy of the last published one)."""
    with session(profile, json_output) as s:
        show_submission(s.out, s.client.create_submission(app_id, s.flight_id(app_id, flight)))


@app.command("list")
def list_submissions(
    app_id: AppArgument, flight: FlightOption = None, profile: ProfileOption = None, json_output: JsonOption = False
) -> None:
    """List the submissions of the app (or --flight) that still exist: the pending one, then the published."""
    with session(profile, json_output) as s:
        found = s.flight(app_id, flight)
        items = s.client.list_submissions(app_id, found.flight_id if found else None)
        rows = [
            (
                i.id,
                i.status,
                dates_text(i.published_date),
                ", ".join(sorted({p.version for p in i.packages})),
                _rollout_text(i.package_rollout.is_package_rollout, i.package_rollout.package_rollout_percentage)
                + (f" ({i.package_rollout.package_rollout_status})" if i.package_rollout.is_package_rollout else ""),
            )
            for i in items
        ]
        owner = f"flight {found.friendly_name}" if found else f"app {app_id}"
        columns = ["id", "status", "published", "versions", "rollout"]
        s.out.result(items, lambda: s.out.table(f"submissions of {owner}", columns, rows))


def dates_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None and value.year > 1601 else ""


@app.command("show")
def show(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a submission: status, packages, delivery options."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=True)
        show_submission(s.out, s.client.get_submission(app_id, sub_id, flight_id))


@app.command("status")
def status(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a submission's status, errors, warnings and certification reports."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=True)
        show_status(s.out, sub_id, s.client.get_status(app_id, sub_id, flight_id))


@app.command("update")
def update(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    add: PackageFiles = None,
    replace: ReplaceFiles = None,
    rollout: RolloutOption = None,
    no_rollout: NoRolloutOption = False,
    mandatory: MandatoryOption = None,
    mandatory_date: MandatoryDate = None,
    publish_mode: PublishModeOption = None,
    publish_date: PublishDate = None,
    notes: NotesOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Change the pending submission (PUT). Added packages are PendingUpload: `submission upload` them next."""
    changes = Changes(
        add or [], replace or [], rollout, no_rollout, mandatory, mandatory_date, publish_mode, publish_date, notes
    )
    changes.check()
    with session(profile, json_output) as s:
        check_files(changes.uploads)
        flight_id, sub_id = _target(s, app_id, flight, submission, published=False)
        sub = s.client.get_submission(app_id, sub_id, flight_id)
        changes.apply(sub)
        show_submission(s.out, s.client.update_submission(app_id, sub, flight_id))


@app.command("upload")
def upload_command(
    app_id: AppArgument,
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="The package files.")],
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Zip the package files and upload them to the submission's fileUploadUrl."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=False)
        upload(s.out, s.client, s.client.get_submission(app_id, sub_id, flight_id), files)
        s.out.result({"id": sub_id, "uploaded": [p.name for p in files]}, lambda: s.out.say(f"uploaded to {sub_id}"))


@app.command("commit")
def commit(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Commit the submission: the pipeline takes it from here (`submission wait` to follow it)."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=False)
        show_status(s.out, sub_id, s.client.commit_submission(app_id, sub_id, flight_id))


@app.command("wait")
def wait_command(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    timeout: TimeoutOption = 3600.0,
    poll_interval: PollOption = 2.0,
    until: Annotated[str, typer.Option(help="published, or certified (stop once it passed certification).")] = (
        "published"
    ),
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Wait for a final state, showing each status; a failed submission exits with the validation code."""
    if until not in ("published", "certified"):
        raise typer.BadParameter("--until is published or certified")
    target: Until = "published" if until == "published" else "certified"
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=True)
        show_status(s.out, sub_id, wait(s, app_id, sub_id, flight_id, timeout, poll_interval, target))


@app.command("release")
def release_command(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return right after the request.")] = False,
    timeout: TimeoutOption = 3600.0,
    poll_interval: PollOption = 2.0,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Publish a submission resting in Release (publish mode Manual, or SpecificDate before its date) and wait
    until it is published. A storeflight extension: on Microsoft's service this is Partner Center's button."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=False)
        released = s.client.publish_submission(app_id, sub_id, flight_id)
        if not no_wait:
            released = wait(s, app_id, sub_id, flight_id, timeout, poll_interval)
        show_status(s.out, sub_id, released)


@app.command("delete")
def delete(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    yes: YesOption = False,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Delete the pending submission (allowed before commit, or after it failed); asks first once committed."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=False)
        status = s.client.get_status(app_id, sub_id, flight_id).status
        if status != "PendingCommit":
            confirm(s.out, f"submission {sub_id} is {status}: its status and reports go with it; delete it?", yes)
        s.client.delete_submission(app_id, sub_id, flight_id)
        s.out.result({"deleted": sub_id}, lambda: s.out.say(f"deleted submission {sub_id}"))
