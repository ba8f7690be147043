"""Seeded streams and distributions: the same seed repeats, another seed differs, tenants do not interfere."""

from __future__ import annotations

import random
import statistics

from storeflight.roughedges.draw import Streams, sample
from storeflight.roughedges.profile import Exponential, Fixed, LogNormal, Uniform


def test_the_same_seed_and_key_give_the_same_sequence() -> None:
    first, second = Streams(42), Streams(42)
    assert [first.uniform("t", "503") for _ in range(50)] == [second.uniform("t", "503") for _ in range(50)]
    assert [Streams(43).uniform("t", "503") for _ in range(1)] != [Streams(42).uniform("t", "503")]


def test_one_tenants_draws_do_not_depend_on_anothers_traffic() -> None:
    alone, shared = Streams(1), Streams(1)
    expected = [alone.uniform("a", "503") for _ in range(10)]
    seen = []
    for _ in range(10):
        shared.uniform("b", "503")
        seen.append(shared.uniform("a", "503"))
    assert seen == expected


def test_distributions_stay_in_their_bounds() -> None:
    rng = random.Random(5)
    assert sample(Fixed(distribution="fixed", value=3), rng) == 3
    uniform = [sample(Uniform(distribution="uniform", low=2, high=4), rng) for _ in range(500)]
    assert min(uniform) >= 2 and max(uniform) <= 4
    capped = [sample(Exponential(distribution="exponential", mean=10, max=15), rng) for _ in range(500)]
    assert max(capped) == 15 and min(capped) >= 0
    assert sample(Exponential(distribution="exponential", mean=0), rng) == 0


def test_lognormal_draws_centre_on_the_median() -> None:
    rng = random.Random(11)
    draws = [sample(LogNormal(distribution="lognormal", median=60, sigma=0.5), rng) for _ in range(4000)]
    assert 55 < statistics.median(draws) < 65
    assert min(draws) > 0
