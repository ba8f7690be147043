"""`storeflight rollout show|set|halt|finalize|health`: the gradual rollout of a published submission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from storeflight.cli import plans
from storeflight.cli.output import JsonOption, Output
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, FlightOption, Session, SubmissionOption, session
from storeflight.client import Flight, PackageRollout, RolloutHealth

app = typer.Typer(
    rich_markup_mode=None,
    help="Gradual rollout of the last published submission (of the app or a --flight).",
    no_args_is_help=True,
)

Action = Callable[[Session, str, str, str | None], PackageRollout]


def show_rollout(out: Output, sub_id: str, rollout: PackageRollout) -> None:
    pairs = [
        ("submission", sub_id),
        ("gradual rollout", rollout.is_package_rollout),
        ("percentage", f"{rollout.package_rollout_percentage:g}%"),
        ("status", rollout.package_rollout_status),
        ("fallback submission", rollout.fallback_submission_id),
    ]
    out.result({"submissionId": sub_id, **rollout.raw}, lambda: out.fields("package rollout", pairs))


def _run(
    action: Action, app_id: str, flight: str | None, submission: str | None, profile: str | None, json_output: bool
) -> None:
    with session(profile, json_output) as s:
        found = s.flight(app_id, flight)
        sub_id = s.submission_id(app_id, found, submission, published=True)
        if submission is None:
            _note_resting(s, app_id, found, sub_id)
        show_rollout(s.out, sub_id, action(s, app_id, sub_id, found.flight_id if found else None))


def _note_resting(s: Session, app_id: str, flight: Flight | None, sub_id: str) -> None:
    """Say so when a newer submission waits in Release: the rollout commands act on the last published one."""
    pending = s.pending_id(app_id, flight)
    if pending is None:
        return
    status = s.client.get_status(app_id, pending, flight.flight_id if flight else None).status
    if status == "Release":
        where = f" --flight {flight.friendly_name!r}" if flight else ""
        s.out.note(
            f"note: this acts on the last published submission {sub_id}; submission {pending} waits in Release "
            f"(Manual publish mode): publish it first with `storeflight submission release {app_id}{where}`"
        )


@app.command("show")
def show(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the rollout: percentage, status, fallback submission."""
    _run(lambda s, a, i, f: s.client.get_rollout(a, i, f), app_id, flight, submission, profile, json_output)


@app.command("set")
def set_percentage(
    app_id: AppArgument,
    percentage: Annotated[float, typer.Argument(min=0.0, max=100.0, help="The new percentage (0 to 100).")],
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Change the rollout percentage (raising it only adds customers)."""
    _run(
        lambda s, a, i, f: s.client.set_rollout_percentage(a, i, percentage, f),
        app_id,
        flight,
        submission,
        profile,
        json_output,
    )


@app.command("halt")
def halt(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Halt the rollout: nobody new gets these packages; publish a fix next."""
    _run(lambda s, a, i, f: s.client.halt_rollout(a, i, f), app_id, flight, submission, profile, json_output)


@app.command("finalize")
def finalize(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Finalize the rollout: everyone in the audience gets these packages."""
    _run(lambda s, a, i, f: s.client.finalize_rollout(a, i, f), app_id, flight, submission, profile, json_output)


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.2%}"


def show_health(out: Output, health: RolloutHealth) -> None:
    pairs = [
        ("submission", health.submission_id or "none"),
        ("fallback submission", health.fallback_submission_id or ""),
        ("percentage", f"{health.package_rollout_percentage:g}%" if health.is_package_rollout else "no rollout"),
        ("status", health.package_rollout_status or ""),
        ("devices", health.devices),
        ("window", f"last {health.hours} hours"),
    ]
    columns = [
        "cohort",
        "version",
        "devices",
        "installs",
        "update failures",
        "launches",
        "crashes",
        "crash rate",
        "update failure rate",
    ]
    rows: list[list[object]] = []
    for cohort in health.cohorts:
        for c in (cohort, *cohort.versions):
            version = getattr(c, "version", "all versions")
            rows.append(
                [
                    cohort.cohort,
                    version,
                    c.devices,
                    c.installs,
                    c.update_failures,
                    c.launches,
                    c.crashes,
                    _rate(c.crash_rate),
                    _rate(c.update_failure_rate),
                ]
            )
    adoption = [(a.version, a.submission_id or "", a.devices, _rate(a.share)) for a in health.adoption]

    def human() -> None:
        out.fields("rollout health", pairs)
        out.table("per cohort", columns, rows)
        out.table("adoption", ["version", "submission", "devices", "share"], adoption)

    out.result(health, human)


@app.command("health")
def health(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    hours: Annotated[int, typer.Option(min=1, max=24 * 90, help="Hours of reports to count.")] = 168,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Device-report health of the rollout: devices, installs, failures, launches, crashes per cohort."""
    with session(profile, json_output) as s:
        flight_id = s.flight_id(app_id, flight)
        found = s.client.rollout_health(app_id, flight_id, submission_id=submission, hours=hours)
        show_health(s.out, found)


app.add_typer(plans.app, name="plan")
