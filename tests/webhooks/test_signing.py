"""Signatures, the body receivers get, the retry schedule and the URL rule: pure."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from storeflight.domain.errors import InvalidParameterValue
from storeflight.webhooks import signing
from storeflight.webhooks.model import Event, EventType, check_types, check_url
from storeflight.webhooks.signing import Backoff

EVENT = Event("e-1", "t-1", "9NBLGGH4R315", EventType.ROLLOUT_HALTED, datetime(2026, 5, 1, 12, tzinfo=UTC), {"a": "é"})


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    content = signing.body(EVENT)
    expected = hmac.new(b"whsec_x", b"1700000000." + content, hashlib.sha256).hexdigest()
    assert signing.signature("whsec_x", 1700000000, content) == f"v1={expected}"
    assert signing.verify("whsec_x", 1700000000, content, f"v1={expected}")
    assert not signing.verify("whsec_y", 1700000000, content, f"v1={expected}")
    assert not signing.verify("whsec_x", 1700000001, content, f"v1={expected}")
    assert not signing.verify("whsec_x", 1700000000, content + b" ", f"v1={expected}")


def test_the_body_has_exactly_the_documented_fields() -> None:
    body = json.loads(signing.body(EVENT))
    assert body == {
        "id": "e-1",
        "type": "rollout.halted",
        "occurredAt": "2026-05-01T12:00:00.0000000Z",
        "tenantId": "t-1",
        "appId": "9NBLGGH4R315",
        "data": {"a": "é"},
    }
    headers = signing.headers(EVENT, "s", 5, signing.body(EVENT), 3)
    assert (headers["Storeflight-Event-Id"], headers["Storeflight-Delivery-Attempt"]) == ("e-1", "3")


def test_backoff_grows_by_its_factor_is_capped_and_gives_up() -> None:
    backoff = Backoff(attempts=8, first=timedelta(minutes=1), factor=3, cap=timedelta(hours=12), jitter=0.2)
    middle = [backoff.delay(n, 0.5) for n in range(1, 8)]
    assert middle == [timedelta(minutes=m) for m in (1, 3, 9, 27, 81, 243, 720)]
    assert backoff.delay(8, 0.5) is None
    assert sum((d for d in middle if d), timedelta()) > timedelta(hours=17)
    assert backoff.delay(1, 0.0) == timedelta(seconds=48) and backoff.delay(1, 0.999999) < timedelta(seconds=72)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
        "https://user@example.com/",
        "file:///etc/passwd",
        "https:///nohost",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "",
        "http://" + "a" * 2050,
        42,
    ],
)
def test_urls_with_other_schemes_or_user_info_are_refused(url: object) -> None:
    with pytest.raises(InvalidParameterValue):
        check_url(url)


def test_http_and_https_urls_are_accepted() -> None:
    assert check_url("https://hooks.example.com/a?b=1") == "https://hooks.example.com/a?b=1"
    assert check_url("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"


def test_event_types_are_checked_and_star_means_all() -> None:
    assert check_types(None) == () and check_types(["*"]) == () and check_types([]) == ()
    assert check_types(["rollout.halted", "rollout.halted"]) == (EventType.ROLLOUT_HALTED,)
    for bad in (["rollout.exploded"], ["webhook.ping"], "rollout.halted", [1]):
        with pytest.raises(InvalidParameterValue):
            check_types(bad)
