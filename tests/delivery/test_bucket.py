"""Rollout buckets: deterministic, monotonic in the percentage, uniform."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storeflight.delivery import BUCKETS, bucket, inside, threshold

percentages = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(st.text(), st.text())
def test_bucket_is_deterministic_and_in_range(customer: str, seed: str) -> None:
    assert 0 <= bucket(customer, seed) < BUCKETS
    assert bucket(customer, seed) == bucket(customer, seed)


@given(st.text(min_size=1), st.text(), percentages, percentages)
def test_raising_the_percentage_only_adds_customers(customer: str, seed: str, p: float, q: float) -> None:
    low, high = sorted((p, q))
    if inside(customer, seed, low):
        assert inside(customer, seed, high)


def test_threshold_resolution_and_bounds() -> None:
    assert threshold(0) == 0
    assert threshold(100) == BUCKETS
    assert threshold(0.01) == 100  # 0.01% is 100 buckets: finer than required
    assert threshold(50.5) == 505_000
    assert threshold(1e-05) == 0
    assert threshold(150) == BUCKETS
    assert threshold(-1) == 0


def test_everyone_inside_at_100_and_nobody_at_0() -> None:
    ids = [f"user{i}" for i in range(2_000)]
    assert all(inside(c, "s", 100.0) for c in ids)
    assert not any(inside(c, "s", 0.0) for c in ids)


@pytest.mark.parametrize("percentage", [0.5, 5.0, 25.0, 50.5, 60.0, 99.0])
def test_share_inside_is_within_one_point_of_the_setting(percentage: float) -> None:
    rng = random.Random(percentage)
    ids = [f"{rng.getrandbits(64):x}@example.com" for _ in range(100_000)]
    share = sum(inside(c, f"seed-{percentage}", percentage) for c in ids) / len(ids) * 100
    assert abs(share - percentage) < 1.0


@settings(max_examples=10, deadline=None)
@given(st.floats(min_value=0.5, max_value=99.5), st.text(min_size=1, max_size=20))
def test_share_inside_for_random_settings_and_seeds(percentage: float, seed: str) -> None:
    ids = [f"customer-{i}" for i in range(100_000)]
    limit = threshold(percentage)
    share = sum(bucket(c, seed) < limit for c in ids) / len(ids) * 100
    assert abs(share - percentage) < 1.0


def test_different_seeds_order_customers_differently() -> None:
    ids = [f"c{i}" for i in range(200)]
    assert sorted(ids, key=lambda c: bucket(c, "a")) != sorted(ids, key=lambda c: bucket(c, "b"))
