"""Synthetic fleets for judging the guard: rollouts with known rates, checked after every batch of reports.

Pure and seeded. Each tick, every device of the fleet sends one report with `launches_per_report` launches
(and, for `attempt_share` of them, one update attempt); devices inside the rollout percentage crash and fail
updates at the release's rates, the others at the fallback's. After each tick the plan's `next_action` runs
on the cumulative counts, as the worker would run it on stored counters: a halt, a finalize, or another tick.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from storeflight.plans.decide import Kind, after, next_action
from storeflight.plans.guard import CohortCounts, GuardInput
from storeflight.plans.model import Guard, HoldKind, Plan, PlanState, Step

START = datetime(2026, 1, 1, tzinfo=UTC)


def default_plan(guard: Guard | None = None) -> Plan:
    steps = tuple(Step(percentage=p, hold=HoldKind.GUARD) for p in (1.0, 5.0, 25.0, 50.0))
    return Plan(steps=steps, guard=guard or Guard())


@dataclass(frozen=True)
class Fleet:
    devices: int = 20_000
    launches_per_report: int = 5
    attempt_share: float = 0.2
    crash_rate: float = 0.005  # per launch, on the fallback
    failure_rate: float = 0.02  # per update attempt, on the fallback
    max_ticks: int = 600


@dataclass(frozen=True)
class Scenario:
    name: str
    crash_factor: float  # the release's crash rate over the fallback's
    failure_factor: float = 1.0


@dataclass(frozen=True)
class Run:
    halted: bool
    finished: bool  # finalized
    reports: int  # device reports from the first live step to the halt, finalize or end of the horizon


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw: exact (geometric gaps) for few expected events, the normal approximation otherwise."""
    if n <= 0 or p <= 0:
        return 0
    mean = n * p
    if mean > 50:
        return min(n, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))
    count, position, log_q = 0, 0, math.log1p(-p)
    while True:
        position += int(math.log(1.0 - rng.random()) / log_q) + 1
        if position > n:
            return count
        count += 1


@dataclass
class _Cohort:
    launches: int = 0
    crashes: int = 0
    attempts: int = 0
    failures: int = 0

    def add(self, rng: random.Random, reports: int, fleet: Fleet, crash: float, failure: float) -> None:
        launches = reports * fleet.launches_per_report
        attempts = round(reports * fleet.attempt_share)
        self.launches += launches
        self.crashes += binomial(rng, launches, crash)
        self.attempts += attempts
        self.failures += binomial(rng, attempts, failure)

    def counts(self) -> CohortCounts:
        return CohortCounts(self.launches, self.crashes, self.attempts - self.failures, self.failures)


@dataclass
class _Fleet:
    rollout: _Cohort = field(default_factory=_Cohort)
    fallback: _Cohort = field(default_factory=_Cohort)


def run_once(plan: Plan, fleet: Fleet, scenario: Scenario, rng: random.Random) -> Run:
    state, now, percentage, counts = PlanState(), START, 0.0, _Fleet()
    reports = 0
    for tick in range(fleet.max_ticks + 1):
        now = START + timedelta(hours=tick)
        health = GuardInput(counts.rollout.counts(), counts.fallback.counts())
        action = next_action(plan, state, now, health)
        if action.kind == Kind.HALT:
            return Run(True, False, reports)
        if action.kind == Kind.FINALIZE:
            return Run(False, True, reports)
        if action.kind == Kind.SET:
            percentage = action.percentage or 0.0
        state = after(state, action, now)
        inside = round(fleet.devices * percentage / 100)
        release = (fleet.crash_rate * scenario.crash_factor, fleet.failure_rate * scenario.failure_factor)
        counts.rollout.add(rng, inside, fleet, *release)
        counts.fallback.add(rng, fleet.devices - inside, fleet, fleet.crash_rate, fleet.failure_rate)
        reports += fleet.devices
    return Run(False, False, reports)


@dataclass(frozen=True)
class Summary:
    scenario: Scenario
    runs: tuple[Run, ...]

    @property
    def halt_rate(self) -> float:
        return sum(r.halted for r in self.runs) / len(self.runs)

    @property
    def finish_rate(self) -> float:
        return sum(r.finished for r in self.runs) / len(self.runs)

    def reports_to_halt(self, quantile: float) -> int | None:
        """Device reports from the start of the rollout to its halt, at this quantile of the halted runs."""
        halted = sorted(r.reports for r in self.runs if r.halted)
        if not halted:
            return None
        return halted[min(len(halted) - 1, int(quantile * len(halted)))]


def simulate(plan: Plan, fleet: Fleet, scenario: Scenario, runs: int, seed: int) -> Summary:
    rng = random.Random(f"{seed}:{scenario.name}")
    return Summary(scenario, tuple(run_once(plan, fleet, scenario, rng) for _ in range(runs)))
