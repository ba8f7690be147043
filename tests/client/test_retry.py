"""Retry policy: which answers are retried, Retry-After, backoff."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from storeflight.client.retry import (
    MAX_RETRY_AFTER,
    RetryPolicy,
    backoff,
    delay_for,
    is_refused,
    next_delay,
    parse_retry_after,
    should_retry_error,
    should_retry_status,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "idempotent", "retried"),
    [
        (429, False, True),
        (503, False, True),
        (429, True, True),
        (500, True, True),
        (502, True, True),
        (504, True, True),
        (500, False, False),
        (502, False, False),
        (400, True, False),
        (404, True, False),
        (409, True, False),
        (401, True, False),
    ],
)
def test_which_statuses_are_retried(status: int, idempotent: bool, retried: bool) -> None:
    assert should_retry_status(status, idempotent) is retried


def test_network_errors_are_retried_only_for_idempotent_calls() -> None:
    error = httpx.ReadError("reset")
    assert should_retry_error(error, idempotent=True)
    assert not should_retry_error(error, idempotent=False)
    assert not should_retry_error(ValueError("not a network error"), idempotent=True)


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("12", NOW) == 12.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5
    assert parse_retry_after(formatdate(NOW + 30, usegmt=True), NOW) == 30.0
    assert parse_retry_after(formatdate(NOW - 30, usegmt=True), NOW) == 0.0  # a date in the past: now
    assert parse_retry_after("-5", NOW) == 0.0
    assert parse_retry_after("86400", NOW) == MAX_RETRY_AFTER
    for junk in (None, "", "soon", "nan"):
        assert parse_retry_after(junk, NOW) is None


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    assert [backoff(n, policy, lambda: 0.0) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [backoff(n, policy, lambda: 1.0) for n in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_retry_after_wins_over_backoff() -> None:
    policy = RetryPolicy()
    assert delay_for(3, policy, httpx.Headers({"Retry-After": "2"}), NOW, lambda: 1.0) == 2.0
    assert delay_for(3, policy, httpx.Headers({}), NOW, lambda: 1.0) == 8.0
    assert delay_for(0, policy, None, NOW, lambda: 0.0) == 0.5


def test_next_delay_stops_after_max_retries_and_on_final_answers() -> None:
    policy = RetryPolicy(max_retries=2)
    busy = httpx.Headers({"Retry-After": "4"})
    assert next_delay(0, policy, False, now=NOW, status=503, headers=busy) == 4.0
    assert next_delay(1, policy, False, now=NOW, status=503, headers=busy) == 4.0
    assert next_delay(2, policy, False, now=NOW, status=503, headers=busy) is None  # retries used up
    assert next_delay(0, policy, False, now=NOW, status=500) is None  # a POST after a 500: the answer stands
    assert next_delay(0, policy, True, now=NOW, status=200) is None
    assert next_delay(0, policy, False, now=NOW, error=httpx.ConnectError("refused")) is None
    assert next_delay(0, policy, True, now=NOW, error=httpx.ConnectError("refused")) is not None


def _refused() -> httpx.ConnectError:
    try:
        httpx.get("http://127.0.0.1:1/")  # nothing listens on port 1
    except httpx.ConnectError as error:
        return error
    raise AssertionError("port 1 answered")


def test_a_refused_connection_is_not_retried_but_a_reset_is() -> None:
    refused = _refused()
    assert is_refused(refused)
    assert not should_retry_error(refused, idempotent=True)
    assert next_delay(0, RetryPolicy(), True, now=NOW, error=refused) is None
    assert not is_refused(httpx.ReadError("reset"))
    assert next_delay(0, RetryPolicy(), True, now=NOW, error=httpx.ReadError("reset")) is not None
