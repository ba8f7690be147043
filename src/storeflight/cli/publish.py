"""`storeflight publish`: a whole release in one command.

Create the submission (with --force, first delete a pending one that is in the way), add or replace
packages, set rollout, mandatory update and publish mode, upload with a progress bar, commit, and wait
with a live status line (unless --no-wait). The JSON answer includes how long each step took.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from storeflight.cli import steps
from storeflight.cli.output import CliError, ExitCode, JsonOption, Output
from storeflight.cli.package import check_files
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, FlightOption, Session, session
from storeflight.client import ConflictError, Flight, Submission, SubmissionStatus


class Timings(dict[str, float]):
    """Seconds per step, in order."""

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = round(time.perf_counter() - start, 4)


def clear_pending(s: Session, app_id: str, flight: Flight | None, force: bool) -> str | None:
    """Delete the pending submission with --force; without it, a pending one is a conflict. Returns its id."""
    pending = s.pending_id(app_id, flight)
    if pending is None:
        return None
    owner = f"flight {flight.friendly_name}" if flight else f"app {app_id}"
    state = s.client.get_status(app_id, pending, flight.flight_id if flight else None).status
    if not force:
        raise CliError(
            ExitCode.CONFLICT,
            f"{owner} already has a pending submission {pending} ({state})",
            "use --force to delete it, or carry on with it using `storeflight submission update/upload/commit`",
        )
    try:
        s.client.delete_submission(app_id, pending, flight.flight_id if flight else None)
    except ConflictError:
        raise CliError(
            ExitCode.CONFLICT,
            f"the pending submission {pending} of {owner} is {state} and cannot be deleted now",
            "wait for it to finish (`storeflight submission wait`) and publish again",
        ) from None
    s.out.note(f"deleted the pending submission {pending} ({state}) of {owner}")
    return pending


def release(s: Session, app_id: str, flight: Flight | None, changes: steps.Changes, timings: Timings) -> Submission:
    """Create, change, upload and commit; returns the submission as the server last described it."""
    flight_id = flight.flight_id if flight else None
    with timings.step("create"):
        sub = s.client.create_submission(app_id, flight_id)
    s.out.note(f"created submission {sub.id}")
    changes.apply(sub)
    with timings.step("update"):
        sub = s.client.update_submission(app_id, sub, flight_id)
    if changes.uploads:
        timings.update(steps.upload(s.out, s.client, sub, changes.uploads))
    with timings.step("commit"):
        s.client.commit_submission(app_id, sub.id, flight_id)
    s.out.note(f"committed submission {sub.id}")
    return sub


def _report(
    app_id: str, flight: Flight | None, sub: Submission, status: SubmissionStatus | None, timings: Timings
) -> dict[str, Any]:
    rollout = sub.package_delivery_options.package_rollout if sub.package_delivery_options else None
    return {
        "applicationId": app_id,
        "flightId": flight.flight_id if flight else None,
        "flightName": flight.friendly_name if flight else None,
        "submissionId": sub.id,
        "status": status.status if status else "CommitStarted",
        "statusDetails": status.status_details.raw if status else {},
        "rollout": rollout.to_body() if rollout else None,
        "packages": [p.file_name for p in sub.application_packages if p.file_status != "PendingDelete"],
        "publishMode": sub.target_publish_mode,
        "next": _next_step(app_id, flight, sub, status),
        "timings": dict(timings),
    }


def _next_step(app_id: str, flight: Flight | None, sub: Submission, status: SubmissionStatus | None) -> str | None:
    """What the user must do when the submission stopped short of Published on purpose."""
    if status is None or status.status != "Release" or sub.target_publish_mode != "Manual":
        return None
    where = f" --flight {flight.friendly_name!r}" if flight else ""
    return (
        f"certified and waiting in Release: its publish mode is Manual (a new submission copies the mode of the "
        f"last published one). Publish it with `storeflight submission release {app_id}{where}`, or pass "
        "--publish-mode Immediate to publish"
    )


def _human(out: Output, report: dict[str, Any]) -> None:
    target = f"flight {report['flightName']}" if report["flightName"] else "the app's non-flighted submission"
    rollout = report["rollout"] or {}
    spread = (
        f" to {rollout.get('packageRolloutPercentage', 0):g}% of customers" if rollout.get("isPackageRollout") else ""
    )
    out.say(f"submission {report['submissionId']} for {target}: [bold]{report['status']}[/]{spread}")
    out.say("took " + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in report["timings"].items()))
    if report["next"]:
        out.say(f"[yellow]next:[/] {report['next']}")


def publish(
    app_id: AppArgument,
    flight: FlightOption = None,
    add: steps.PackageFiles = None,
    replace: steps.ReplaceFiles = None,
    rollout: steps.RolloutOption = None,
    no_rollout: steps.NoRolloutOption = False,
    mandatory: steps.MandatoryOption = None,
    mandatory_date: steps.MandatoryDate = None,
    publish_mode: steps.PublishModeOption = None,
    publish_date: steps.PublishDate = None,
    notes: steps.NotesOption = None,
    force: Annotated[bool, typer.Option("--force", help="Delete a pending submission that is in the way.")] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return right after the commit.")] = False,
    timeout: steps.TimeoutOption = 3600.0,
    poll_interval: steps.PollOption = 2.0,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a submission with new packages, upload, commit and wait until it is published."""
    changes = steps.Changes(
        add or [], replace or [], rollout, no_rollout, mandatory, mandatory_date, publish_mode, publish_date, notes
    )
    changes.check()
    with session(profile, json_output) as s:
        check_files(changes.uploads)  # a file the pipeline would refuse never creates a submission
        timings = Timings()
        found = s.flight(app_id, flight)
        clear_pending(s, app_id, found, force)
        sub = release(s, app_id, found, changes, timings)
        status = None
        if not no_wait:
            with timings.step("wait"):
                status = steps.wait(s, app_id, sub.id, found.flight_id if found else None, timeout, poll_interval)
            # Publishing starts the rollout and names its fallback: report the submission as it is now.
            sub = s.client.get_submission(app_id, sub.id, found.flight_id if found else None)
        report = _report(app_id, found, sub, status, timings)
        s.out.result(report, lambda: _human(s.out, report))
