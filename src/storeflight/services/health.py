"""Rollout health: the device-report numbers of a line's rollout (a flight's, or the app's non-flighted one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from storeflight.domain.errors import InvalidParameterValue, NotFound
from storeflight.domain.models import Submission
from storeflight.services.context import Context, load_app
from storeflight.storage.protocol import Tx
from storeflight.telemetry.cohort import NON_FLIGHTED
from storeflight.telemetry.health import Health, summarise
from storeflight.telemetry.tally import hour_of

MAX_HOURS = 24 * 90


@dataclass(frozen=True)
class RolloutHealth:
    app_id: str
    flight_id: str | None
    submission: Submission | None
    health: Health


def rollout_health(
    tx: Tx, ctx: Context, app_id: str, flight_id: str | None, submission_id: str | None, hours: int
) -> RolloutHealth:
    """The numbers for the line's last published submission (or `submission_id`, one of the line's), over the
    last `hours` hours (the hourly series; totals too)."""
    if not 1 <= hours <= MAX_HOURS:
        raise InvalidParameterValue(f"hours must be 1 to {MAX_HOURS}, not {hours}.", target="hours")
    app = load_app(tx, ctx, app_id)
    if flight_id is not None and tx.get_flight(ctx.caller.tenant_id, app.id, flight_id) is None:
        raise NotFound(f"The flight '{flight_id}' was not found.", target="flight")
    parent_key = f"flight:{flight_id}" if flight_id is not None else f"app:{app.id}"
    if submission_id is not None:
        submission = tx.get_submission(ctx.caller.tenant_id, submission_id)
        if submission is None or submission.parent_key != parent_key:
            raise NotFound(f"The submission '{submission_id}' was not found.", target="submission")
    else:
        submission = tx.last_published(parent_key)
    line = flight_id if flight_id is not None else NON_FLIGHTED
    since = hour_of(ctx.now - timedelta(hours=hours - 1))
    target = submission.id if submission is not None else ""
    health = summarise(target, tx.report_hours(app.id, line, since), tx.device_counts(app.id, line))
    return RolloutHealth(app.id, flight_id, submission, health)
