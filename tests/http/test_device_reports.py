"""POST .../reports over real HTTP, in both device forms: counted once, bounded, refused one by one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from storeflight.audit.record import ADMIN
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.http.device_reports import BATCHES_PER_MINUTE, ReportLimits
from storeflight.telemetry.events import MAX_BODY_BYTES, MAX_EVENTS
from tests.support import Tenant, new_tenant


def _key(tenant: Tenant, app_id: str | None, rate: int = 6000) -> str:
    with tenant.server.store.transaction(write=True) as tx:
        _, secret = service.create_key(
            tx, tenant.tenant_id, app_id, name="fleet", now=dates.utcnow(), rate_per_minute=rate, by=ADMIN
        )
    return secret


def _url(tenant: Tenant, app_id: str, customer: str) -> str:
    with tenant.server.store.transaction(write=True) as tx:
        _, token = service.create_url(tx, tenant.tenant_id, app_id, customer, dates.utcnow(), by=ADMIN)
    return f"{tenant.server.url}/devices/v1/d/{token}/reports"


def _post(url: str, body: Any, secret: str | None = None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.post(url, json=body, headers=headers, params=params)


def _events(*ids: str, kind: str = "launched", version: str = "1.0.0.0") -> dict[str, Any]:
    return {"events": [{"id": i, "type": kind, "version": version} for i in ids]}


def _health(tenant: Tenant, app_id: str) -> dict[str, Any]:
    body: dict[str, Any] = tenant.http.get(f"applications/{app_id}/rollouthealth").json()
    return body


def test_a_key_reports_for_the_customer_it_names_and_each_id_counts_once(tenant: Tenant, app_id: str) -> None:
    secret, url = _key(tenant, app_id), f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    first = _post(url, _events("a", "b", "b"), secret, customerId="c1@example.com")
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 2, "duplicates": 1, "refused": []}
    again = _post(url, _events("a", "b", "c"), secret, customerId="c1@example.com")
    assert again.json() == {"accepted": 1, "duplicates": 2, "refused": []}
    other = _post(url, _events("a"), secret, customerId="c2@example.com")  # ids are per device
    assert other.json()["accepted"] == 1
    health = _health(tenant, app_id)
    (cohort,) = health["cohorts"]
    assert (cohort["cohort"], cohort["devices"], cohort["launches"]) == ("all", 2, 4)


def test_a_device_url_reports_for_its_customer(tenant: Tenant, app_id: str) -> None:
    url = _url(tenant, app_id, "dev@example.com")
    answer = _post(url, _events("x", kind="crashed"))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1
    assert _health(tenant, app_id)["cohorts"][0]["crashes"] == 1
    assert _post(url, _events("y"), customerId="someone-else").status_code == 400


def test_bad_events_are_refused_one_by_one_and_the_good_ones_count(tenant: Tenant, app_id: str) -> None:
    secret, url = _key(tenant, app_id), f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    body = {
        "events": [
            {"id": "ok-1", "type": "installed", "version": "1.0.0.0"},
            {"id": "bad-1", "type": "updateFailed", "version": "1.0.0.0"},
            {"id": "bad-2", "type": "launched", "version": "one"},
            7,
            {"id": "ok-2", "type": "updateFailed", "version": "1.0.0.0", "errorCode": "0x80073CF3"},
        ]
    }
    answer = _post(url, body, secret, customerId="c@example.com").json()
    assert answer["accepted"] == 2 and answer["duplicates"] == 0
    assert [(r["index"], r["id"]) for r in answer["refused"]] == [(1, "bad-1"), (2, "bad-2"), (3, None)]
    assert answer["refused"][0]["reason"] == "an updateFailed event needs an errorCode"
    (cohort,) = _health(tenant, app_id)["cohorts"]
    assert (cohort["installs"], cohort["updateFailures"], cohort["updateFailureRate"]) == (1, 1, 0.5)


@pytest.mark.parametrize(
    ("body", "status", "target"),
    [
        ({"events": "no"}, 400, "events"),
        (
            {"events": [{"id": str(i), "type": "heartbeat", "version": "1"} for i in range(MAX_EVENTS + 1)]},
            400,
            "events",
        ),
        ({"events": [{"id": "x" * 100, "type": "heartbeat", "version": "1"}] * 5000}, 413, "body"),
    ],
)
def test_a_body_that_is_no_batch_or_too_big_is_refused_whole(
    tenant: Tenant, app_id: str, body: Any, status: int, target: str
) -> None:
    secret, url = _key(tenant, app_id), f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    answer = _post(url, body, secret, customerId="c@example.com")
    assert answer.status_code == status, answer.text
    assert answer.json()["target"] == target
    assert len(httpx.Request("POST", url, json=body).content) > MAX_BODY_BYTES or status == 400
    assert _health(tenant, app_id)["devices"] == 0


def test_malformed_bodies_and_missing_customers_are_store_shaped_400s(tenant: Tenant, app_id: str) -> None:
    secret, url = _key(tenant, app_id), f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    headers = {"Authorization": f"Bearer {secret}"}
    for content in (b"", b"{", b"\xff\xfe", b"[]"):
        answer = httpx.post(url, content=content, headers=headers, params={"customerId": "c"})
        assert answer.status_code == 400 and answer.json()["code"], content
    missing = _post(url, _events("a"), secret)
    assert missing.status_code == 400 and missing.json()["target"] == "customerId"


def test_credentials_are_checked_and_nothing_leaks_across_tenants(tenant: Tenant, app_id: str) -> None:
    url = f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    assert _post(url, _events("a"), tenant.token, customerId="c").status_code == 401  # a publisher token
    assert _post(url, _events("a"), None, customerId="c").status_code == 401
    stranger = new_tenant(tenant.server)
    assert _post(url, _events("a"), _key(stranger, None), customerId="c").status_code == 404
    forged = f"{tenant.server.url}/devices/v1/d/sfdu_forged/reports"
    assert _post(forged, _events("a")).status_code == 404
    assert _health(tenant, app_id)["devices"] == 0


def test_each_device_s_batches_are_rate_bounded(tenant: Tenant, app_id: str) -> None:
    secret, url = _key(tenant, app_id), f"{tenant.server.url}/devices/v1/apps/{app_id}/reports"
    state = tenant.server.server.config.app.state
    saved, state.device_reports = state.device_reports, ReportLimits(3, clock=lambda: 0.0)  # time stands still
    try:
        answers = [_post(url, _events(f"e{i}"), secret, customerId="busy") for i in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert _post(url, _events("z"), secret, customerId="calm").status_code == 200  # per device
    finally:
        state.device_reports = saved
    assert ReportLimits().limiter.limit == BATCHES_PER_MINUTE
