"""`storeflight submission new|show|status|update|upload|commit|wait|delete`, and the steps `publish` reuses.

`--flight NAME_OR_ID` works on that flight's submissions; without it, on the app's non-flighted ones.
Without `--submission`, a command works on the pending submission (or, for show/status/wait/delete, the
last published one when none is pending).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from storeflight.cli.output import CliError, ExitCode, JsonOption, Output
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, FlightOption, Session, SubmissionOption, session
from storeflight.client import Package, StoreClient, Submission, SubmissionStatus, build_package_zip

app = typer.Typer(help="One submission at a time: create, change, upload, commit, wait, delete.", no_args_is_help=True)


class PublishMode(StrEnum):
    IMMEDIATE = "Immediate"
    MANUAL = "Manual"
    SPECIFIC_DATE = "SpecificDate"


PackageFiles = Annotated[
    list[Path] | None,
    typer.Option("--add", exists=True, dir_okay=False, help="Add this package (.msix, .appx, bundles, ...); repeat."),
]
ReplaceFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--replace", exists=True, dir_okay=False, help="Mark every existing package PendingDelete and add this one."
    ),
]
RolloutOption = Annotated[
    float | None, typer.Option("--rollout", min=0.0, max=100.0, help="Gradual rollout at this percentage.")
]
NoRolloutOption = Annotated[bool, typer.Option("--no-rollout", help="Publish to everyone at once.")]
MandatoryOption = Annotated[
    bool | None, typer.Option("--mandatory/--not-mandatory", help="Mark the update mandatory (or not).")
]
MandatoryDate = Annotated[
    datetime | None, typer.Option("--mandatory-date", help="When the mandatory update takes effect (UTC).")
]
PublishModeOption = Annotated[
    PublishMode | None, typer.Option("--publish-mode", help="When to publish once certified.")
]
PublishDate = Annotated[datetime | None, typer.Option("--publish-date", help="With SpecificDate: when (UTC).")]
NotesOption = Annotated[str | None, typer.Option("--notes", help="Notes for certification.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.0, help="Give up waiting after this many seconds.")]
PollOption = Annotated[float, typer.Option("--poll-interval", min=0.05, help="Seconds between status checks.")]


@dataclass
class Changes:
    """What `update` and `publish` change in a submission."""

    add: list[Path]
    replace: list[Path]
    rollout: float | None = None
    no_rollout: bool = False
    mandatory: bool | None = None
    mandatory_date: datetime | None = None
    publish_mode: PublishMode | None = None
    publish_date: datetime | None = None
    notes: str | None = None

    @property
    def uploads(self) -> list[Path]:
        return [*self.replace, *self.add]

    def check(self) -> None:
        names = [p.name for p in self.uploads]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise typer.BadParameter(f"package file names must be unique: {', '.join(twice)}")
        if self.rollout is not None and self.no_rollout:
            raise typer.BadParameter("--rollout and --no-rollout exclude each other")

    def apply(self, sub: Submission) -> None:
        self._packages(sub)
        if self.rollout is not None or self.no_rollout:
            rollout = sub.rollout()
            rollout.is_package_rollout = not self.no_rollout
            rollout.package_rollout_percentage = 0.0 if self.no_rollout else float(self.rollout or 0.0)
        if self.mandatory is not None or self.mandatory_date is not None:
            sub.rollout()  # makes packageDeliveryOptions exist
            assert sub.package_delivery_options is not None
            sub.package_delivery_options.is_mandatory_update = bool(self.mandatory or self.mandatory_date)
            sub.package_delivery_options.mandatory_update_effective_date = self.mandatory_date
        if self.publish_mode is not None:
            sub.target_publish_mode = self.publish_mode.value
        if self.publish_date is not None:
            sub.target_publish_date = self.publish_date
        if self.notes is not None:
            sub.notes_for_certification = self.notes

    def _packages(self, sub: Submission) -> None:
        if self.replace:
            for package in sub.application_packages:
                package.file_status = "PendingDelete"
        current = {p.file_name.lower() for p in sub.application_packages if p.file_status != "PendingDelete"}
        clash = [p.name for p in self.add if p.name.lower() in current]
        if clash:
            raise CliError(
                ExitCode.VALIDATION,
                f"the submission already has {', '.join(clash)}",
                "use --replace to swap every package, or rename the file",
            )
        sub.application_packages.extend(Package(file_name=p.name, file_status="PendingUpload") for p in self.uploads)


def upload(out: Output, client: StoreClient, sub: Submission, files: list[Path]) -> dict[str, float]:
    """Zip the packages and upload the ZIP to the submission's fileUploadUrl with a progress bar.

    Returns the seconds spent zipping and uploading (publish reports them)."""
    if not sub.file_upload_url:
        raise CliError(ExitCode.VALIDATION, f"submission {sub.id} has no fileUploadUrl (made in Partner Center?)")
    with tempfile.TemporaryDirectory(prefix="storeflight-upload-") as work:
        started = time.perf_counter()
        archive = build_package_zip(files, Path(work) / "packages.zip")
        zipped = time.perf_counter()
        with _progress(out, archive.stat().st_size) as report:
            client.upload(sub.file_upload_url, archive, progress=report)
        return {"zip": round(zipped - started, 4), "upload": round(time.perf_counter() - zipped, 4)}


@contextmanager
def _progress(out: Output, total: int) -> Iterator[Callable[[int, int], None]]:
    if not out.err.is_terminal or out.json:
        out.note(f"uploading {_size(total)} of packages ...")
        yield lambda _sent, _total: None
        out.note("upload finished")
        return
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=out.err, transient=False) as bar:
        task = bar.add_task("uploading", total=total or None)
        yield lambda sent, size: bar.update(task, completed=sent, total=size)


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MiB" if count >= 2**20 else f"{count / 1024:.0f} KiB"


def wait(
    s: Session, app_id: str, sub_id: str, flight_id: str | None, timeout: float, poll: float, until: str = "published"
) -> SubmissionStatus:
    """Poll until a final state, showing each new status (a live line on a terminal)."""
    err = s.out.err
    if err.is_terminal and not s.out.json:
        with err.status(f"submission {sub_id}: waiting ...") as line:
            return s.client.wait(
                app_id,
                sub_id,
                flight_id,
                timeout=timeout,
                poll_interval=poll,
                until=until,  # type: ignore[arg-type]
                on_change=lambda st: line.update(f"submission {sub_id}: [bold]{st.status}[/]"),
            )
    return s.client.wait(
        app_id,
        sub_id,
        flight_id,
        timeout=timeout,
        poll_interval=poll,
        until=until,  # type: ignore[arg-type]
        on_change=lambda st: s.out.note(f"submission {sub_id}: {st.status}"),
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
    packages = [(p.file_name, p.file_status, p.version, p.architecture) for p in sub.application_packages]

    def human() -> None:
        out.fields(f"submission {sub.id}", pairs)
        out.table("packages", ["file", "status", "version", "architecture"], packages)

    out.result(sub, human)


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
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=True)
        show_status(s.out, sub_id, wait(s, app_id, sub_id, flight_id, timeout, poll_interval, until))


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
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Delete the pending submission (allowed before commit, or after it failed)."""
    with session(profile, json_output) as s:
        flight_id, sub_id = _target(s, app_id, flight, submission, published=False)
        s.client.delete_submission(app_id, sub_id, flight_id)
        s.out.result({"deleted": sub_id}, lambda: s.out.say(f"deleted submission {sub_id}"))
