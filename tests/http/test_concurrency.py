"""Racing clients: one pending submission per flight, and a PUT never undoes a commit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support import Tenant


def test_concurrent_creates_yield_exactly_one_pending_submission(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}"
    assert tenant.http.delete(f"{base}/submissions/{flight['pendingFlightSubmission']['id']}").status_code == 204

    def create(_: int) -> int:
        with httpx.Client(base_url=tenant.http.base_url, headers=tenant.http.headers) as client:
            return client.post(f"{base}/submissions").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(create, range(16)))
    assert sorted(codes) == [201] + [409] * 15
    assert "pendingFlightSubmission" in tenant.http.get(base).json()


def test_a_put_racing_a_commit_never_reverts_the_commit(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    url = f"applications/{app_id}/flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}"

    def put(i: int) -> int:
        with httpx.Client(base_url=tenant.http.base_url, headers=tenant.http.headers) as client:
            return client.put(url, json={"notesForCertification": f"n{i}"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        puts = [pool.submit(put, i) for i in range(30)]
        commit = tenant.http.post(f"{url}/commit")
        codes = [p.result() for p in puts]
    assert commit.status_code == 200
    assert set(codes) <= {200, 409}
    assert tenant.http.get(f"{url}/status").json()["status"] == "CommitStarted"
