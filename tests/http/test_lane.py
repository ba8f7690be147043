"""The plain routes' fast lane, over real HTTP: their errors, 405s and 404s answer as through the full stack."""

from __future__ import annotations

import httpx

from tests.support import Tenant

QUERY = {"customerId": "c1", "deviceFamily": "Windows.Desktop", "osVersion": "10.0.19045.0", "architecture": "x64"}


def test_a_plain_route_without_a_token_gets_the_store_401(tenant: Tenant, app_id: str) -> None:
    answer = httpx.get(f"{tenant.server.url}/v1.0/my/applications/{app_id}/delivery", params=QUERY)
    assert answer.status_code == 401
    assert answer.json()["code"] == "Unauthorized" and answer.headers["ms-correlationid"]


def test_an_unknown_app_on_a_plain_route_is_the_store_404(tenant: Tenant) -> None:
    answer = tenant.http.get("applications/9NBLGGH00000/delivery", params=QUERY)
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "ResourceNotFound"


def test_another_method_on_a_plain_route_still_gets_405_with_allow(tenant: Tenant, app_id: str) -> None:
    answer = tenant.http.post(f"applications/{app_id}/delivery", params=QUERY)
    assert answer.status_code == 405, answer.text
    assert "GET" in answer.headers["allow"]
    assert answer.json()["code"]


def test_a_bad_query_on_a_plain_route_is_a_store_400(tenant: Tenant, app_id: str) -> None:
    answer = tenant.http.get(f"applications/{app_id}/delivery", params={"deviceFamily": "Windows.Desktop"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "InvalidParameterValue"
