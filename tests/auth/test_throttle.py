"""Token attempt limits: the bucket arithmetic with a clock, and the AAD 429 from a live `storeflight serve`."""

from __future__ import annotations

from pathlib import Path

import httpx

from storeflight.auth.throttle import AttemptLimiter
from tests.support import ServeProcess


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_allows_a_burst_then_refills_steadily() -> None:
    clock = Clock()
    limiter = AttemptLimiter(3, 60.0, clock=clock)
    assert [limiter.attempt("a") for _ in range(3)] == [None, None, None]
    assert limiter.attempt("a") == 20  # one attempt per 20 s comes back
    assert limiter.attempt("b") is None  # other keys are not affected
    clock.now += 19
    assert limiter.attempt("a") == 1
    clock.now += 1
    assert limiter.attempt("a") is None
    assert limiter.attempt("a") is not None


def test_a_zero_limit_never_refuses() -> None:
    limiter = AttemptLimiter(0, clock=Clock())
    assert all(limiter.attempt("a") is None for _ in range(1000))


def test_the_table_of_keys_stays_bounded() -> None:
    clock = Clock()
    limiter = AttemptLimiter(2, 60.0, clock=clock, max_keys=100)
    for i in range(1000):
        limiter.attempt(f"k{i}")
    assert len(limiter._buckets) <= 100
    limiter.attempt("spent")
    limiter.attempt("spent")
    clock.now += 1
    for i in range(99):
        limiter.attempt(f"n{i}")  # the oldest go first: a key seen just now keeps its count
    assert limiter.attempt("spent") is not None


def _token(serve: ServeProcess, tenant: str, client_id: str, secret: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": "https://manage.devcenter.microsoft.com/.default",
    }
    return httpx.post(f"{serve.url}/{tenant}/oauth2/v2.0/token", data=form)


def test_token_attempts_are_limited_per_client_and_per_address(tmp_path: Path) -> None:
    args = ["--token-attempts-per-client", "3", "--token-attempts-per-address", "6"]
    with ServeProcess(tmp_path, *args) as serve:
        tenant, client_id, secret = serve.tenant_client()
        assert [_token(serve, tenant, client_id, "wrong").status_code for _ in range(3)] == [401, 401, 401]
        refused = _token(serve, tenant, client_id, secret)  # even the right secret: the client's attempts are spent
        assert refused.status_code == 429
        assert refused.json()["error"] == "temporarily_unavailable"
        assert "for this client" in refused.json()["error_description"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 20
        others = [_token(serve, tenant, f"guess-{i}", "x").status_code for i in range(3)]
        assert others == [400, 400, 429]  # the address's sixth attempt and on
        assert "from this address" in _token(serve, tenant, "guess-9", "x").json()["error_description"]
