"""The request log: one line per request with its correlation id, tenant, route template, status and time."""

from __future__ import annotations

import logging

import pytest

from tests.support import Tenant


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "storeflight.requests"]


def test_one_line_per_request_with_the_route_template_and_the_response_s_correlation_id(
    tenant: Tenant, app_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="storeflight.requests"):
        found = tenant.http.get(f"Applications/{app_id.lower()}/")  # normalised before routing
        missing = tenant.http.get(f"applications/{app_id}/submissions/1152921504606846976")
        unknown = tenant.http.get("no/such/route")
    lines = _lines(caplog)
    assert [r.__dict__["status"] for r in lines] == [200, 404, 404]
    assert [r.__dict__["route"] for r in lines] == [
        "/v1.0/my/applications/{application_id}",
        "/v1.0/my/applications/{application_id}/submissions/{submission_id}",
        "unmatched",
    ]
    assert [r.__dict__["correlation_id"] for r in lines] == [
        a.headers["ms-correlationid"] for a in (found, missing, unknown)
    ]
    assert {r.__dict__["tenant"] for r in lines[:2]} == {tenant.tenant_id}
    assert all(r.__dict__["method"] == "GET" and r.__dict__["duration_ms"] >= 0 for r in lines)
    assert app_id not in " ".join(r.getMessage() for r in lines)  # templates only, never ids


def test_the_token_endpoint_s_line_names_the_tenant_from_its_path(
    tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="storeflight.requests"):
        tenant.fetch_token()
    (line,) = _lines(caplog)
    assert line.__dict__["route"] == "/{tenant}/oauth2/token"
    assert line.__dict__["tenant"] == tenant.tenant_id
