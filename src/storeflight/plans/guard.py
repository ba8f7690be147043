"""The health guard: a sequential test of the rollout cohort against the fallback cohort, valid however often
it is looked at, plus absolute thresholds. Pure.

The maths, in plain words (docs/rollout-plans.md says the same at more length):

* For each metric (crashes per launch, failed updates per update attempt) the guard estimates the log of the
  ratio of the two cohorts' rates, theta = log(p_rollout / p_fallback), with half a count added to each cell
  (so a cohort without crashes yet has a finite estimate), and the estimate's variance by the delta method:
  V = 1/(x1+1/2) - 1/(n1+1/2) + 1/(x0+1/2) - 1/(n0+1/2).
* It tests with Robbins' normal-mixture sequential probability ratio (the "mixture SPRT" behind always-valid
  p-values): for a candidate value t, Lambda(t) = sqrt(V/(V+tau^2)) * exp(tau^2 (theta_hat - t)^2 /
  (2 V (V+tau^2))), the likelihood ratio of "theta is spread around t with variance tau^2" against
  "theta = t", averaged over that spread. Under theta = t it is a (nearly) non-negative martingale, so by
  Ville's inequality it ever exceeds 1/alpha with probability at most alpha: checking after every report
  does not inflate false halts. The values t it has not rejected form a confidence sequence, theta_hat +/- r
  with r^2 = (2 V (V+tau^2) / tau^2) * (log(1/alpha) + log((V+tau^2)/V) / 2), which holds at all times at once.
* tau = log(1 + margin): the mixture is tuned to the regression the plan cares about.
* Halt when the whole interval lies above log(1 + tolerance) (a regression shown); advance (for a guard hold)
  when it lies wholly below log(1 + margin) (a regression of the margin ruled out); hold otherwise, and while
  either cohort has fewer than `min_sample` trials.
* Absolute thresholds use the same mixture on the rollout cohort's rate itself (tau = the threshold): halt when
  the interval's lower end is above the threshold (e.g. 1.09% crashes per launch). They never hold a plan.
* alpha is split evenly over the checks (Bonferroni), so the plan's false-halt chance stays at most alpha.

The normal approximation makes validity asymptotic rather than exact; bench/guard_sim.py and
tests/plans/test_simulation.py measure the halt rates on synthetic fleets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from storeflight.plans.model import Guard, Metric, Threshold


@dataclass(frozen=True)
class CohortCounts:
    """One cohort's exact counts from device reports."""

    launches: int = 0
    crashes: int = 0
    installs: int = 0
    update_failures: int = 0

    def sample(self, metric: Metric) -> tuple[int, int]:
        """(events, trials) of the metric."""
        if metric == Metric.CRASH_RATE:
            return self.crashes, self.launches
        return self.update_failures, self.installs + self.update_failures


@dataclass(frozen=True)
class GuardInput:
    rollout: CohortCounts  # devices inside the rollout, on the rollout's version
    fallback: CohortCounts  # devices outside it


class Outcome(StrEnum):
    HALT = "halt"
    HOLD = "hold"
    ADVANCE = "advance"


@dataclass(frozen=True)
class Check:
    """One check's numbers. Relative checks: rates of both cohorts, the estimated ratio and its always-valid
    interval; absolute checks: the rollout rate and its interval, against `limit`."""

    metric: Metric
    kind: str  # "relative" or "absolute"
    outcome: Outcome
    rollout: tuple[int, int]  # (events, trials)
    fallback: tuple[int, int] | None
    estimate: float | None  # the ratio (relative) or the rate (absolute)
    lower: float | None
    upper: float | None
    limit: float  # halt above this: 1 + tolerance (relative), the threshold (absolute)
    note: str

    def as_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric.value,
            "kind": self.kind,
            "outcome": self.outcome.value,
            "rollout": {"events": self.rollout[0], "trials": self.rollout[1]},
            "fallback": {"events": self.fallback[0], "trials": self.fallback[1]} if self.fallback else None,
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "limit": self.limit,
            "note": self.note,
        }


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    checks: tuple[Check, ...]

    @property
    def reason(self) -> str:
        deciding = [c for c in self.checks if c.outcome == self.outcome] or list(self.checks)
        return "; ".join(c.note for c in deciding)


def radius(variance: float, tau2: float, alpha: float) -> float:
    """Half-width of the normal-mixture confidence sequence at level alpha for an estimate of this variance."""
    if variance <= 0:
        return 0.0
    return math.sqrt(2 * variance * (variance + tau2) / tau2 * (math.log(1 / alpha) + math.log1p(tau2 / variance) / 2))


def log_ratio(x1: int, n1: int, x0: int, n0: int) -> tuple[float, float]:
    """log(p1/p0) with half a count added, and its delta-method variance."""
    estimate = math.log((x1 + 0.5) / (n1 + 0.5)) - math.log((x0 + 0.5) / (n0 + 0.5))
    variance = 1 / (x1 + 0.5) - 1 / (n1 + 0.5) + 1 / (x0 + 0.5) - 1 / (n0 + 0.5)
    return estimate, variance


def relative(metric: Metric, data: GuardInput, guard: Guard) -> Check:
    x1, n1 = data.rollout.sample(metric)
    x0, n0 = data.fallback.sample(metric)
    limit = 1 + guard.tolerance
    if min(n1, n0) < guard.min_sample:
        note = f"{metric.value}: {n1} and {n0} trials, {guard.min_sample} needed in each cohort"
        return Check(metric, "relative", Outcome.HOLD, (x1, n1), (x0, n0), None, None, None, limit, note)
    estimate, variance = log_ratio(x1, n1, x0, n0)
    r = radius(variance, math.log1p(guard.margin) ** 2, guard.alpha / guard.checks)
    lower, upper = math.exp(estimate - r), math.exp(estimate + r)
    numbers = (
        f"{metric.value} {x1}/{n1} ({x1 / n1:.4%}) vs fallback {x0}/{n0} ({x0 / n0:.4%}), "
        f"ratio {math.exp(estimate):.3f} in [{lower:.3f}, {upper:.3f}]"
    )
    if lower > limit:
        outcome, note = Outcome.HALT, f"{numbers}: worse than the fallback beyond {limit:.3f}"
    elif upper < 1 + guard.margin:
        outcome, note = Outcome.ADVANCE, f"{numbers}: a regression of {guard.margin:.0%} is ruled out"
    else:
        outcome, note = Outcome.HOLD, f"{numbers}: not yet conclusive"
    return Check(metric, "relative", outcome, (x1, n1), (x0, n0), math.exp(estimate), lower, upper, limit, note)


def absolute(threshold: Threshold, data: GuardInput, guard: Guard) -> Check:
    metric, limit = threshold.metric, threshold.max_rate
    x, n = data.rollout.sample(metric)
    if n < guard.min_sample:
        note = f"{metric.value}: {n} trials, {guard.min_sample} needed before the {limit:.2%} threshold applies"
        return Check(metric, "absolute", Outcome.ADVANCE, (x, n), None, None, None, None, limit, note)
    rate = x / n
    smoothed = (x + 0.5) / (n + 1)
    r = radius(smoothed * (1 - smoothed) / n, limit**2, guard.alpha / guard.checks)
    lower, upper = rate - r, rate + r
    numbers = f"{metric.value} {x}/{n} ({rate:.4%}) in [{max(lower, 0):.4%}, {upper:.4%}]"
    if lower > limit:
        outcome, note = Outcome.HALT, f"{numbers}: above the {limit:.2%} threshold"
    else:
        outcome, note = Outcome.ADVANCE, f"{numbers}: not shown above the {limit:.2%} threshold"
    return Check(metric, "absolute", outcome, (x, n), None, rate, lower, upper, limit, note)


def evaluate(guard: Guard, data: GuardInput) -> Verdict:
    """Halt if any check halts, else hold if any holds, else advance."""
    checks = (
        *(relative(metric, data, guard) for metric in guard.metrics),
        *(absolute(threshold, data, guard) for threshold in guard.thresholds),
    )
    outcomes = {c.outcome for c in checks}
    for outcome in (Outcome.HALT, Outcome.HOLD):
        if outcome in outcomes:
            return Verdict(outcome, checks)
    return Verdict(Outcome.ADVANCE, checks)
