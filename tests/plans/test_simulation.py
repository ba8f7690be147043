"""Guard quality on synthetic fleets (200 seeded rollouts per scenario): worse releases halted, equal ones not."""

from __future__ import annotations

import random

import pytest

from storeflight.plans.simulate import Fleet, Scenario, binomial, default_plan, simulate

RUNS = 200
PLAN = default_plan()


@pytest.mark.parametrize("scenario", [Scenario("crashes", 1.5), Scenario("updates", 1.0, 1.5)])
def test_a_release_worse_by_the_margin_is_halted_in_at_least_95_percent(scenario: Scenario) -> None:
    summary = simulate(PLAN, Fleet(), scenario, RUNS, seed=7)
    assert summary.halt_rate >= 0.95
    assert summary.finish_rate <= 0.05
    median = summary.reports_to_halt(0.5)
    assert median is not None and median > 0


def test_an_equal_release_is_halted_in_at_most_5_percent_and_mostly_finalized() -> None:
    summary = simulate(PLAN, Fleet(), Scenario("equal", 1.0), RUNS, seed=7)
    assert summary.halt_rate <= 0.05
    assert summary.finish_rate >= 0.9


def test_the_simulation_is_deterministic_for_a_seed() -> None:
    fleet = Fleet(max_ticks=60)
    first = simulate(PLAN, fleet, Scenario("x", 1.3), 20, seed=3)
    assert first == simulate(PLAN, fleet, Scenario("x", 1.3), 20, seed=3)
    assert first != simulate(PLAN, fleet, Scenario("x", 1.3), 20, seed=4)


@pytest.mark.parametrize(("n", "p"), [(1000, 0.005), (100_000, 0.01)])
def test_binomial_draws_have_the_right_mean(n: int, p: float) -> None:
    rng = random.Random(5)
    draws = [binomial(rng, n, p) for _ in range(2000)]
    mean = sum(draws) / len(draws)
    assert abs(mean - n * p) < 4 * (n * p * (1 - p) / len(draws)) ** 0.5
