"""The guard's statistics: the confidence sequence's boundary, and halt / hold / advance with their numbers."""

from __future__ import annotations

import math

import pytest

from storeflight.plans.guard import CohortCounts, GuardInput, Outcome, evaluate, log_ratio, radius
from storeflight.plans.model import Guard, Metric, Threshold

CRASHES_ONLY = Guard(metrics=(Metric.CRASH_RATE,), thresholds=(), min_sample=100)


def mixture_ratio(estimate: float, candidate: float, variance: float, tau2: float) -> float:
    """Robbins' normal-mixture likelihood ratio, written out independently of `radius`."""
    return math.sqrt(variance / (variance + tau2)) * math.exp(
        tau2 * (estimate - candidate) ** 2 / (2 * variance * (variance + tau2))
    )


@pytest.mark.parametrize(("variance", "tau2", "alpha"), [(0.01, 0.16, 0.05), (1e-4, 0.04, 0.01), (0.5, 1.0, 0.2)])
def test_the_radius_is_where_the_mixture_reaches_one_over_alpha(variance: float, tau2: float, alpha: float) -> None:
    r = radius(variance, tau2, alpha)
    assert mixture_ratio(0.0, r, variance, tau2) == pytest.approx(1 / alpha, rel=1e-9)
    assert mixture_ratio(0.0, r * 0.99, variance, tau2) < 1 / alpha < mixture_ratio(0.0, r * 1.01, variance, tau2)


def test_the_radius_shrinks_with_more_data_but_slower_than_a_fixed_sample_interval() -> None:
    wide, narrow = radius(0.01, 0.16, 0.05), radius(0.0001, 0.16, 0.05)
    assert narrow < wide
    assert narrow > 1.96 * math.sqrt(0.0001)  # the price of looking at any time


def test_log_ratio_adds_half_a_count() -> None:
    estimate, variance = log_ratio(0, 1000, 10, 1000)
    assert estimate == pytest.approx(math.log(0.5 / 10.5))
    assert variance == pytest.approx(1 / 0.5 - 1 / 1000.5 + 1 / 10.5 - 1 / 1000.5)


def counts(launches: int, crashes: int) -> CohortCounts:
    return CohortCounts(launches=launches, crashes=crashes)


def test_too_few_launches_hold_whatever_the_rates() -> None:
    verdict = evaluate(CRASHES_ONLY, GuardInput(counts(99, 99), counts(10_000, 0)))
    assert verdict.outcome == Outcome.HOLD
    assert "100 needed" in verdict.reason


def test_a_clear_regression_halts_with_its_numbers() -> None:
    verdict = evaluate(CRASHES_ONLY, GuardInput(counts(20_000, 300), counts(200_000, 1000)))
    assert verdict.outcome == Outcome.HALT
    check = verdict.checks[0]
    assert check.rollout == (300, 20_000) and check.fallback == (1000, 200_000)
    assert check.lower is not None and check.lower > 1
    assert "300/20000" in verdict.reason


def test_equal_rates_with_plenty_of_data_advance() -> None:
    verdict = evaluate(CRASHES_ONLY, GuardInput(counts(100_000, 500), counts(1_000_000, 5000)))
    assert verdict.outcome == Outcome.ADVANCE
    assert verdict.checks[0].upper is not None and verdict.checks[0].upper < 1.5


def test_equal_rates_with_little_data_hold() -> None:
    verdict = evaluate(CRASHES_ONLY, GuardInput(counts(1000, 5), counts(100_000, 500)))
    assert verdict.outcome == Outcome.HOLD


def test_a_regression_within_the_tolerance_does_not_halt() -> None:
    data = GuardInput(counts(400_000, 2400), counts(4_000_000, 20_000))  # 20% worse, tightly measured
    assert evaluate(CRASHES_ONLY, data).outcome == Outcome.HALT
    tolerant = CRASHES_ONLY.model_copy(update={"tolerance": 0.3})
    assert evaluate(tolerant, data).outcome != Outcome.HALT


def test_the_absolute_threshold_halts_even_when_the_fallback_is_as_bad() -> None:
    guard = Guard(metrics=(Metric.CRASH_RATE,), min_sample=100)
    verdict = evaluate(guard, GuardInput(counts(100_000, 3000), counts(100_000, 3000)))
    assert verdict.outcome == Outcome.HALT
    assert [c.kind for c in verdict.checks if c.outcome == Outcome.HALT] == ["absolute"]
    assert "1.09%" in verdict.reason


def test_an_update_failure_regression_halts() -> None:
    guard = Guard(metrics=(Metric.UPDATE_FAILURE_RATE,), thresholds=(), min_sample=100)
    rollout = CohortCounts(installs=900, update_failures=100)
    fallback = CohortCounts(installs=9800, update_failures=200)
    verdict = evaluate(guard, GuardInput(rollout, fallback))
    assert verdict.outcome == Outcome.HALT
    assert verdict.checks[0].rollout == (100, 1000)


def test_a_threshold_alone_is_a_guard() -> None:
    guard = Guard(metrics=(), thresholds=(Threshold(metric=Metric.CRASH_RATE, max_rate=0.02),), min_sample=10)
    assert evaluate(guard, GuardInput(counts(1000, 5), counts(0, 0))).outcome == Outcome.ADVANCE
