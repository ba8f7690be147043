"""Per-tenant quotas over real HTTP: Store JSON 409 `QuotaExceeded` naming the quota and its limit, Azure XML
on the upload endpoint (driven by the real Azure SDK), nothing kept past a refusal, bytes freed on deletion,
and one tenant's usage never counting against another's (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient

from storeflight.domain.quotas import Quotas
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, Tenant, make_settings, new_tenant

QUOTAS = Quotas(members=5, groups=3, flights=2, packages=2, stored_bytes=200_000)


@pytest.fixture(scope="module")
def limited(store: SqlStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path_factory.mktemp("quota-data"), quotas=QUOTAS)
    with LiveServer(store, settings) as live:
        yield live


@pytest.fixture
def tenant_q(limited: LiveServer) -> Tenant:
    return new_tenant(limited)


def _refused(response: Any, quota: str, limit: int) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "QuotaExceeded" and body["target"] == "quota"
    assert f"The {quota} quota of this tenant is {limit}" in body["message"]
    assert f"quota={quota}" in body["details"] and f"limit={limit}" in body["details"]


def _group(tenant: Tenant, members: list[str]) -> Any:
    return tenant.http.post("flightgroups", json={"name": "g", "members": members})


def test_groups_past_the_quota_are_refused_and_other_tenants_are_not_affected(limited: LiveServer) -> None:
    tenant, other = new_tenant(limited), new_tenant(limited)
    for _ in range(3):
        assert _group(tenant, []).status_code == 201
    _refused(_group(tenant, []), "groups", 3)
    assert tenant.http.get("flightgroups").json()["totalCount"] == 3
    assert _group(other, []).status_code == 201


def test_members_count_across_the_tenants_groups_and_a_refused_change_adds_nothing(tenant_q: Tenant) -> None:
    first = _group(tenant_q, ["a@example.com", "b@example.com", "c@example.com"]).json()
    _refused(_group(tenant_q, ["d@example.com", "e@example.com", "f@example.com"]), "members", 5)
    assert tenant_q.http.get("flightgroups").json()["totalCount"] == 1  # the refused group is not kept
    members = f"flightgroups/{first['id']}/members"
    _refused(
        tenant_q.http.post(members, json={"add": ["d@example.com", "e@example.com", "f@example.com"]}), "members", 5
    )
    assert tenant_q.http.get(members).json()["totalCount"] == 3
    again = tenant_q.http.post(members, json={"add": ["a@example.com", "d@example.com", "e@example.com"]})
    assert again.status_code == 200 and again.json()["memberCount"] == 5  # a member already in is not counted
    swap = tenant_q.http.post(members, json={"add": ["f@example.com"], "remove": ["a@example.com"]})
    assert swap.status_code == 200 and swap.json()["memberCount"] == 5


def test_flights_past_the_quota_are_refused(tenant_q: Tenant) -> None:
    app_id = tenant_q.create_app()
    group = tenant_q.create_group()
    for name in ("one", "two"):
        tenant_q.create_flight(app_id, name=name, groups=[group])
    response = tenant_q.http.post(f"applications/{app_id}/flights", json={"friendlyName": "three", "groupIds": [group]})
    _refused(response, "flights", 2)
    assert len(tenant_q.http.get(f"applications/{app_id}/listflights").json()["value"]) == 2


def _flight_submission(tenant: Tenant, app_id: str) -> tuple[str, dict[str, Any]]:
    flight = tenant.create_flight(app_id, name=f"f-{uuid.uuid4().hex[:6]}")
    path = f"applications/{app_id}/flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}"
    return path, tenant.http.get(path).json()


def test_packages_to_upload_past_the_quota_are_refused(tenant_q: Tenant) -> None:
    path, sub = _flight_submission(tenant_q, tenant_q.create_app())
    sub["flightPackages"] = [{"fileName": f"app_{i}.msix", "fileStatus": "PendingUpload"} for i in range(3)]
    _refused(tenant_q.http.put(path, json=sub), "packages", 2)
    assert tenant_q.http.get(path).json()["flightPackages"] == []
    sub["flightPackages"] = sub["flightPackages"][:2]
    assert tenant_q.http.put(path, json=sub).status_code == 200


def _azure_refusal(url: str, data: bytes, **options: Any) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as raised:
        BlobClient.from_blob_url(url, **options).upload_blob(data, overwrite=True)
    return raised.value


def test_uploads_count_when_committed_are_refused_past_the_quota_and_freed_on_deletion(
    tenant_q: Tenant, tmp_path: Path
) -> None:
    app_id = tenant_q.create_app()
    first_path, first = _flight_submission(tenant_q, app_id)
    _, second = _flight_submission(tenant_q, app_id)
    BlobClient.from_blob_url(first["fileUploadUrl"]).upload_blob(os.urandom(150_000))
    refused = _azure_refusal(second["fileUploadUrl"], os.urandom(60_000))  # one Put Blob
    assert refused.status_code == 409 and refused.error_code == "QuotaExceeded"
    assert "storedBytes quota of this tenant is 200000" in str(refused.message)
    blocks = _azure_refusal(  # in blocks: each fits, the Put Block List that would commit them is refused
        second["fileUploadUrl"], os.urandom(120_000), max_single_put_size=32 * 1024, max_block_size=32 * 1024
    )
    assert blocks.status_code == 409 and blocks.error_code == "QuotaExceeded"
    # Replacing the first upload counts its new size, not both.
    BlobClient.from_blob_url(first["fileUploadUrl"]).upload_blob(os.urandom(190_000), overwrite=True)
    other = new_tenant(tenant_q.server)
    _, theirs = _flight_submission(other, other.create_app())
    BlobClient.from_blob_url(theirs["fileUploadUrl"]).upload_blob(os.urandom(150_000))  # their own quota
    assert tenant_q.http.delete(first_path).status_code == 204
    BlobClient.from_blob_url(
        second["fileUploadUrl"], max_single_put_size=32 * 1024, max_block_size=32 * 1024
    ).upload_blob(os.urandom(180_000), overwrite=True)


def test_the_membership_count_follows_every_change_and_deleted_groups_free_theirs(tenant_q: Tenant) -> None:
    first = _group(tenant_q, ["a@example.com", "b@example.com"]).json()
    second = _group(tenant_q, ["c@example.com", "d@example.com", "e@example.com"]).json()
    _refused(tenant_q.http.post(f"flightgroups/{first['id']}/members", json={"add": ["x@example.com"]}), "members", 5)
    removed = tenant_q.http.post(f"flightgroups/{second['id']}/members", json={"remove": ["c@example.com", "zz"]})
    assert removed.status_code == 200 and removed.json()["removed"] == 1
    assert tenant_q.http.post(f"flightgroups/{first['id']}/members", json={"add": ["x@example.com"]}).status_code == 200
    assert tenant_q.http.delete(f"flightgroups/{second['id']}").status_code == 204
    assert _group(tenant_q, ["p@example.com", "q@example.com"]).status_code == 201  # 3 + 2: fits again
    _refused(_group(tenant_q, ["r@example.com"]), "members", 5)
