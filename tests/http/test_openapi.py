"""The served OpenAPI document, and schemathesis fuzzing every operation it lists against a live server."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.openapi import from_url

from tests.support import LiveServer, Tenant


def test_openapi_document_lists_every_store_operation(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    base = "/v1.0/my/applications/{application_id}"
    expected = {
        "/v1.0/my/applications": {"get"},
        base: {"get"},
        f"{base}/listflights": {"get"},
        f"{base}/flights": {"post"},
        f"{base}/flights/{{flight_id}}": {"get", "delete"},
        f"{base}/flights/{{flight_id}}/submissions": {"post"},
        f"{base}/flights/{{flight_id}}/submissions/{{submission_id}}": {"get", "put", "delete"},
        f"{base}/flights/{{flight_id}}/submissions/{{submission_id}}/status": {"get"},
        f"{base}/flights/{{flight_id}}/submissions/{{submission_id}}/commit": {"post"},
        f"{base}/submissions/{{submission_id}}/commit": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path


def test_no_generated_request_gets_a_server_error(tenant: Tenant, app_id: str) -> None:
    api = from_url(f"{tenant.server.url}/openapi.json")
    strategies = [op.ok().as_strategy() for op in api.get_all_operations()]
    assert len(strategies) >= 15

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(strategies).flatmap(lambda s: s))
        if "application_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters = {**(case.path_parameters or {}), "application_id": app_id}
        response = case.call(headers={"Authorization": f"Bearer {tenant.token}"})
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400:
            body = response.json()
            assert body.get("code") or body.get("error"), body

    run()
