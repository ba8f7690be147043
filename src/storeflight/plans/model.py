"""A rollout plan and its execution state: pure, validated records (stored as JSON documents)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

MAX_STEPS = 20
MAX_HOLD_SECONDS = 90 * 24 * 3600


class Record(BaseModel):
    """Frozen, strict, camelCase in JSON (snake_case accepted too)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class HoldKind(StrEnum):
    DURATION = "duration"  # wait this long after the step's percentage is set
    APPROVAL = "approval"  # wait until someone approves the step
    GUARD = "guard"  # wait until the health guard has enough data to rule out a regression of the margin


class Step(Record):
    percentage: float = Field(gt=0, le=100)
    hold: HoldKind = HoldKind.DURATION
    seconds: int | None = Field(default=None, ge=0, le=MAX_HOLD_SECONDS)

    @model_validator(mode="after")
    def _seconds_for_duration(self) -> Step:
        if self.hold == HoldKind.DURATION and self.seconds is None:
            raise ValueError("a duration hold needs seconds")
        if self.hold != HoldKind.DURATION and self.seconds is not None:
            raise ValueError(f"a {self.hold.value} hold takes no seconds")
        return self


class Metric(StrEnum):
    CRASH_RATE = "crashRate"  # crashes per launch
    UPDATE_FAILURE_RATE = "updateFailureRate"  # failed updates per update attempt


class Threshold(Record):
    """An absolute bound: halt when the rollout cohort's rate is shown (always-valid) to lie above it."""

    metric: Metric
    max_rate: float = Field(gt=0, lt=1)


class Guard(Record):
    """Compares the rollout cohort with the fallback cohort on each metric.

    `margin`: the relative regression the test is tuned to detect and must rule out before a guard hold
    advances (0.5 = 50% more crashes per launch). `tolerance`: the relative increase accepted without a halt
    (0 = any regression shown beyond doubt halts). `alpha`: the chance, over the whole life of the plan however
    often it is checked, of a halt for a release that is no worse (split over the checks). `min_sample`: the
    fewest launches (crash rate) or update attempts (update-failure rate) each cohort needs before a decision.
    """

    metrics: tuple[Metric, ...] = (Metric.CRASH_RATE, Metric.UPDATE_FAILURE_RATE)
    margin: float = Field(default=0.5, gt=0, le=10)
    tolerance: float = Field(default=0.0, ge=0, le=10)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    min_sample: int = Field(default=1000, ge=1, le=10**9)
    thresholds: tuple[Threshold, ...] = (Threshold(metric=Metric.CRASH_RATE, max_rate=0.0109),)

    @model_validator(mode="after")
    def _tolerance_below_margin(self) -> Guard:
        if self.tolerance >= self.margin:
            raise ValueError("tolerance must be below margin")
        if not self.metrics and not self.thresholds:
            raise ValueError("a guard needs a metric or a threshold")
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError("each metric once")
        return self

    @property
    def checks(self) -> int:
        return len(self.metrics) + len(self.thresholds)


class Plan(Record):
    steps: tuple[Step, ...] = Field(min_length=1, max_length=MAX_STEPS)
    guard: Guard | None = None

    @model_validator(mode="after")
    def _rising(self) -> Plan:
        percentages = [s.percentage for s in self.steps]
        if any(b <= a for a, b in pairwise(percentages)):
            raise ValueError("step percentages must rise")
        if self.guard is None and any(s.hold == HoldKind.GUARD for s in self.steps):
            raise ValueError("a guard hold needs a guard")
        return self


class PlanStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"  # finalized
    HALTED = "halted"  # aborted by hand or halted by the guard: the rollout is stopped


FINAL = frozenset({PlanStatus.COMPLETED, PlanStatus.HALTED})


class PlanState(Record):
    """Where a plan is: `step` is the index of the current step (len(steps) = finalize next); `applied` says
    whether its percentage has been set; `started_at` when it was (its hold counts from there)."""

    status: PlanStatus = PlanStatus.RUNNING
    step: int = 0
    applied: bool = False
    started_at: datetime | None = None
    approved: bool = False  # the current step's approval hold was approved
    reason: str = ""  # why the plan is paused, halted or completed
