"""Token buckets with a clock passed in: the tenant-wide rate, stricter operations, refills, isolation."""

from __future__ import annotations

from storeflight.roughedges.profile import Bucket, parse
from storeflight.roughedges.throttle import Throttle, TokenBucket


def store_like() -> Throttle:
    profile = parse({"throttle": {"requests_per_minute": 20, "commit": {"requests_per_minute": 2, "burst": 1}}})
    return Throttle(profile.throttle.buckets())


def test_a_bucket_refills_at_its_rate_up_to_its_capacity() -> None:
    bucket = TokenBucket.full(Bucket(requests_per_minute=60, burst=2), now=0.0)
    assert bucket.wait(0.0) == 0
    bucket.take()
    bucket.take()
    assert bucket.wait(0.0) == 1.0
    assert bucket.wait(0.5) == 0.5
    assert bucket.wait(100.0) == 0 and bucket.tokens == 2


def test_twenty_calls_a_minute_pass_and_the_next_waits_three_seconds() -> None:
    throttle = store_like()
    assert [throttle.admit("t", "read", 0.0) for _ in range(20)] == [0] * 20
    assert throttle.admit("t", "read", 0.0) == 3  # one token every 3 s
    assert throttle.admit("t", "read", 2.0) == 1  # rounded up, never 0
    assert throttle.admit("t", "read", 3.0) == 0


def test_commit_is_throttled_harder_and_a_refused_call_takes_no_token() -> None:
    throttle = store_like()
    assert throttle.admit("t", "commit", 0.0) == 0
    assert throttle.admit("t", "commit", 1.0) == 29  # 2 a minute: the next token 30 s after the first
    assert [throttle.admit("t", "read", 1.0) for _ in range(19)] == [0] * 19  # the refused commit cost nothing
    assert throttle.admit("t", "commit", 31.0) == 0


def test_each_tenant_has_its_own_budget() -> None:
    throttle = store_like()
    for _ in range(20):
        throttle.admit("noisy", "read", 0.0)
    assert throttle.admit("noisy", "read", 0.0) > 0
    assert throttle.admit("quiet", "read", 0.0) == 0
    assert throttle.admit("quiet", "commit", 0.0) == 0


def test_without_a_tenant_wide_rule_only_the_operation_is_limited() -> None:
    throttle = Throttle(parse({"throttle": {"status": {"requests_per_minute": 6, "burst": 1}}}).throttle.buckets())
    assert [throttle.admit("t", "read", 0.0) for _ in range(100)] == [0] * 100
    assert throttle.admit("t", "status", 0.0) == 0
    assert throttle.admit("t", "status", 0.0) == 10
