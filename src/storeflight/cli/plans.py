"""`storeflight rollout plan create|show|pause|resume|skip|approve|abort`: rollout plans (our extension)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from storeflight.cli.output import JsonOption, Output
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import AppArgument, FlightOption, Session, SubmissionOption, session

app = typer.Typer(
    rich_markup_mode=None,
    help="Rollout plans: steps that raise the percentage by themselves, held by time, approval or health.",
    no_args_is_help=True,
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(approval|guard|(\d+)\s*([smhd]?))\s*$", re.IGNORECASE)

StepOption = Annotated[
    list[str] | None,
    typer.Option(
        "--step",
        help="PERCENT:HOLD, in order; HOLD is a duration (30m, 2h, 1d, 45s), 'approval' or 'guard'. Repeat it.",
    ),
]


def parse_step(text: str) -> dict[str, Any]:
    match = _STEP.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r}: expected PERCENT:DURATION, PERCENT:approval or PERCENT:guard")
    percentage, hold, amount, unit = match.groups()
    if amount is not None:
        return {
            "percentage": float(percentage),
            "hold": "duration",
            "seconds": int(amount) * _UNITS[unit.lower() or "s"],
        }
    return {"percentage": float(percentage), "hold": hold.lower()}


def _where(s: Session, app_id: str, flight: str | None, submission: str | None) -> tuple[str, str | None]:
    found = s.flight(app_id, flight)
    return s.submission_id(app_id, found, submission, published=True), found.flight_id if found else None


def show_plan(out: Output, plan: dict[str, Any]) -> None:
    rollout = plan.get("packageRolloutPercentage")
    pairs = [
        ("plan", plan.get("id")),
        ("submission", plan.get("submissionId")),
        ("status", plan.get("status")),
        ("current step", plan.get("currentStep")),
        ("step applied", plan.get("stepApplied")),
        ("reason", plan.get("reason")),
        ("next look", plan.get("nextRunAt") or ""),
    ]
    if rollout is not None:
        pairs.append(("rollout", f"{rollout:g}% {plan.get('packageRolloutStatus', '')}"))
    steps = plan.get("plan", {}).get("steps", [])
    rows = [[i, f"{s['percentage']:g}%", s["hold"], s.get("seconds") or ""] for i, s in enumerate(steps)]
    events = [
        [
            e["seq"],
            e["at"],
            e["actor"],
            e["action"],
            e["step"],
            "" if e["percentage"] is None else e["percentage"],
            e["reason"],
        ]
        for e in plan.get("events", [])
    ]

    def human() -> None:
        out.fields("rollout plan", pairs)
        out.table("steps (then finalize)", ["step", "percentage", "hold", "seconds"], rows)
        if events:
            out.table("events", ["seq", "at", "actor", "action", "step", "percentage", "reason"], events)

    out.result(plan, human)


@app.command("create")
def create(
    app_id: AppArgument,
    step: StepOption = None,
    plan_file: Annotated[Path | None, typer.Option("--file", help="The plan as JSON (docs/rollout-plans.md).")] = None,
    guard: Annotated[bool, typer.Option("--guard/--no-guard", help="Gate on crash and update-failure rates.")] = False,
    margin: Annotated[float, typer.Option(min=0.01, max=10.0, help="Relative regression to detect.")] = 0.5,
    min_sample: Annotated[int, typer.Option(min=1, help="Launches/attempts each cohort needs.")] = 1000,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Attach a plan to the last published submission (its rollout must be in progress)."""
    if plan_file is not None:
        body = json.loads(plan_file.read_text(encoding="utf-8"))
    elif step:
        body = {"steps": [parse_step(s) for s in step]}
        if guard or any(s["hold"] == "guard" for s in body["steps"]):
            body["guard"] = {"margin": margin, "minSample": min_sample}
    else:
        raise typer.BadParameter("give --step (one or more) or --file")
    with session(profile, json_output) as s:
        sub_id, flight_id = _where(s, app_id, flight, submission)
        show_plan(s.out, s.client.attach_plan(app_id, sub_id, body, flight_id))


@app.command("show")
def show(
    app_id: AppArgument,
    flight: FlightOption = None,
    submission: SubmissionOption = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the plan: steps, state, and what happened (steps, halts, pauses) with reasons."""
    with session(profile, json_output) as s:
        sub_id, flight_id = _where(s, app_id, flight, submission)
        show_plan(s.out, s.client.get_plan(app_id, sub_id, flight_id))


def _verb(verb: str, doc: str) -> None:
    def command(
        app_id: AppArgument,
        flight: FlightOption = None,
        submission: SubmissionOption = None,
        profile: ProfileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        with session(profile, json_output) as s:
            sub_id, flight_id = _where(s, app_id, flight, submission)
            show_plan(s.out, s.client.plan_verb(app_id, sub_id, verb, flight_id))

    command.__doc__ = doc
    app.command(verb)(command)


_verb("pause", "Pause the plan: the percentage stays where it is until resume.")
_verb("resume", "Resume a paused plan: the current step's hold starts over.")
_verb("skip", "Skip the current step's hold (or the step): the next step starts now.")
_verb("approve", "Approve the current step (an approval hold).")
_verb("abort", "Abort the plan and halt the rollout (the Store's halt).")
