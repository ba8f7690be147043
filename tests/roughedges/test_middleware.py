"""The profile on a live server: 429 and 503 in the Store's shape, only on the submission API, repeatable."""

from __future__ import annotations

import uuid

import httpx

from storeflight.http.blobs import PREFIX as BLOB_PREFIX
from storeflight.roughedges.middleware import operation
from tests.roughedges.conftest import RoughServer, tenant_named
from tests.support import LiveServer, new_tenant

STORE_KEYS = {"code", "data", "details", "message", "source", "target"}
UNAVAILABLE = "This operation cannot be completed at this time. Retry your operation using exponential backoff."


def test_requests_are_classed_as_commit_status_read_or_write() -> None:
    assert operation("POST", "/v1.0/my/applications/A/flights/F/submissions/1/commit") == "commit"
    assert operation("GET", "/v1.0/my/applications/A/submissions/1/status") == "status"
    assert operation("GET", "/v1.0/my/applications") == "read"
    assert operation("PUT", "/v1.0/my/applications/A/submissions/1") == "write"
    assert operation("POST", "/v1.0/my/applications/A/submissions") == "write"


def test_past_the_tenants_rate_calls_get_429_with_retry_after_in_the_stores_shape(
    rough_server: RoughServer,
) -> None:
    with rough_server({"throttle": {"requests_per_minute": 1, "burst": 3}}) as live:
        tenant = new_tenant(live)
        app_id = tenant.create_app()
        answers = [tenant.http.get(f"applications/{app_id}") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        throttled = answers[-1]
        retry_after = int(throttled.headers["Retry-After"])
        assert 1 <= retry_after <= 60  # the next call a minute after the first three
        assert throttled.headers["content-type"].startswith("application/json")
        assert throttled.headers["MS-CorrelationId"]
        body = throttled.json()
        assert STORE_KEYS | {"statusCode"} == set(body)
        assert body["statusCode"] == 429 and body["code"] == "RateLimitExceeded"
        assert body["message"] == f"Rate limit is exceeded. Try again in {retry_after} seconds."
        other = new_tenant(live)  # another tenant's budget is its own
        assert other.http.get("applications").status_code in (200, 404)


def test_commit_is_throttled_harder_than_other_calls(rough_server: RoughServer) -> None:
    profile = {"throttle": {"requests_per_minute": 600, "commit": {"requests_per_minute": 1, "burst": 1}}}
    with rough_server(profile) as live:
        tenant = new_tenant(live)
        app_id = tenant.create_app()
        commit = f"applications/{app_id}/submissions/1152921504606846977/commit"
        assert tenant.http.post(commit).status_code == 404  # passed the throttle, then found nothing
        second = tenant.http.post(commit)
        assert second.status_code == 429
        assert 30 <= int(second.headers["Retry-After"]) <= 60
        assert tenant.http.get(f"applications/{app_id}").status_code == 200


def test_tokens_health_blobs_and_bad_tokens_are_never_throttled(rough_server: RoughServer) -> None:
    with rough_server({"throttle": {"requests_per_minute": 1, "burst": 1}, "unavailable": {"rate": 0.5}}) as live:
        tenant = new_tenant(live)
        for _ in range(5):
            assert tenant.fetch_token()
            assert httpx.get(f"{live.url}/healthz").status_code == 200
            blob = httpx.get(f"{live.url}{BLOB_PREFIX}ingestion/missing")
            assert blob.status_code in (403, 404) and blob.headers["content-type"].startswith("application/xml")
            forged = httpx.get(f"{live.url}/v1.0/my/applications", headers={"Authorization": "Bearer forged"})
            assert forged.status_code == 401


def test_503s_come_before_any_handler_in_the_stores_shape(rough_server: RoughServer) -> None:
    with rough_server({"unavailable": {"rate": 1.0, "retry_after": "4s"}}) as live:
        tenant = new_tenant(live)
        app_id = tenant.create_app()
        answer = tenant.http.post(f"applications/{app_id}/submissions")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "4"
        body = answer.json()
        assert set(body) == STORE_KEYS
        assert body["code"] == "InvalidOperation" and body["message"] == UNAVAILABLE
        with live.store.transaction(write=False) as tx:
            assert tx.get_app(tenant.tenant_id, app_id) is not None
            assert tx.pending_submission(f"app:{app_id}") is None  # nothing was created


def _statuses(live: LiveServer, tenant_id: str, count: int) -> list[int]:
    tenant = tenant_named(live, tenant_id)
    return [tenant.http.get("applications").status_code for _ in range(count)]


def test_the_same_seed_gives_the_same_outcomes_and_another_seed_others(rough_server: RoughServer) -> None:
    tenant_id = str(uuid.uuid4())
    runs = []
    for seed in (5, 5, 6):
        with rough_server({"seed": seed, "unavailable": {"rate": 0.4}}) as live:
            runs.append(_statuses(live, tenant_id, 40))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert 5 < runs[0].count(503) < 30 and set(runs[0]) <= {404, 503}
