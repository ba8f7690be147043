"""The plain GET submission and GET status routes answer exactly what their FastAPI twins answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from storeflight.auth import tokens
from storeflight.domain import dates
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import StatusDetails
from storeflight.http import submission_reads
from storeflight.http.app import create_app
from storeflight.services import admin
from storeflight.storage.sql import SqlStore
from tests.support import LiveServer, Tenant, force_state, make_settings, new_tenant

# Headers that differ between any two answers, whoever gives them.
_VOLATILE = {"date", "ms-correlationid"}


@pytest.fixture(scope="module")
def reference(store: SqlStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on the same database whose app lacks the plain routes: the FastAPI handlers answer."""
    live = LiveServer(store, make_settings(tmp_path_factory.mktemp("reference")))
    app = create_app(live.state)
    app.router.routes[:] = [r for r in app.router.routes if r not in submission_reads.ROUTES]
    live.server.config.app = app
    with live:
        yield live


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def _answer(response: httpx.Response, base_url: str) -> Answer:
    text = response.text.replace(base_url, "BASE")  # the two servers differ only in their port
    headers = {k: v.replace(base_url, "BASE") for k, v in response.headers.items() if k not in _VOLATILE}
    return Answer(response.status_code, headers, text)


def _both(
    server: LiveServer, reference: LiveServer, method: str, path: str, authorization: str | None
) -> tuple[Answer, Answer]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    fast = httpx.request(method, f"{server.url}{path}", headers=headers, timeout=30)
    slow = httpx.request(method, f"{reference.url}{path}", headers=headers, timeout=30)
    assert fast.headers.get("ms-correlationid") and slow.headers.get("ms-correlationid")
    return _answer(fast, server.url), _answer(slow, reference.url)


@dataclass(frozen=True)
class Seeded:
    app_id: str
    flight_id: str
    flight_submission: str
    other_flight_id: str
    app_submission: str


def _seed(tenant: Tenant) -> Seeded:
    app_id = tenant.create_app()
    flight = tenant.create_flight(app_id, name="one")
    other = tenant.create_flight(app_id, name="two")
    created = tenant.http.post(f"applications/{app_id}/submissions")
    assert created.status_code == 201, created.text
    return Seeded(
        app_id, flight["flightId"], flight["pendingFlightSubmission"]["id"], other["flightId"], created.json()["id"]
    )


@pytest.fixture
def seeded(tenant: Tenant) -> Seeded:
    return _seed(tenant)


def _paths(s: Seeded) -> dict[str, str]:
    """Every GET the plain routes take, right and wrong, under both parents."""
    apps = f"/v1.0/my/applications/{s.app_id}"
    flight = f"{apps}/flights/{s.flight_id}/submissions"
    return {
        "flight submission": f"{flight}/{s.flight_submission}",
        "app submission": f"{apps}/submissions/{s.app_submission}",
        "unknown submission": f"{flight}/1152921504606846976",
        "unknown app": f"/v1.0/my/applications/9NBLGGH00000/flights/{s.flight_id}/submissions/{s.flight_submission}",
        "unknown flight": f"{apps}/flights/00000000-0000-0000-0000-000000000000/submissions/{s.flight_submission}",
        "other flight": f"{apps}/flights/{s.other_flight_id}/submissions/{s.flight_submission}",
        "flight's under the app": f"{apps}/submissions/{s.flight_submission}",
        "app's under a flight": f"{flight}/{s.app_submission}",
        "lower-case app id": f"/v1.0/my/applications/{s.app_id.lower()}/submissions/{s.app_submission}",
        "upper-case flight id": f"{apps}/flights/{s.flight_id.upper()}/submissions/{s.flight_submission}",
        "odd case and slash": f"/V1.0/My/Applications/{s.app_id}/Submissions/{s.app_submission}/",
        "query string": f"{flight}/{s.flight_submission}?$top=1&x=%20",
    }


def _compare(server: LiveServer, reference: LiveServer, paths: dict[str, str], authorization: str | None) -> list[int]:
    statuses = []
    for name, path in paths.items():
        for suffix in ("", "/status"):
            target = path.replace("?", f"{suffix}?") if "?" in path else path.rstrip("/") + suffix
            fast, slow = _both(server, reference, "GET", target, authorization)
            assert fast == slow, f"{name}{suffix}"
            statuses.append(fast.status)
    return statuses


def test_every_get_answers_as_the_fastapi_handler(
    server: LiveServer, reference: LiveServer, tenant: Tenant, seeded: Seeded
) -> None:
    statuses = _compare(server, reference, _paths(seeded), _bearer(tenant.token))
    assert statuses.count(200) == 12 and statuses.count(404) == 6 and statuses.count(409) == 6


def test_the_plain_routes_answer_and_read_without_a_transaction(
    server: LiveServer, tenant: Tenant, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    original = server.store.read_submission_and_app

    def counting(tenant_id: str, submission_id: str) -> Any:
        reads.append(submission_id)
        return original(tenant_id, submission_id)

    # Whether the client is still active is checked in a transaction once per `ttl`: not within this test.
    monkeypatch.setattr(server.state.clients, "ttl", 3600.0)
    monkeypatch.setattr(server.store, "read_submission_and_app", counting)
    headers = {"Authorization": f"Bearer {tenant.token}"}
    assert httpx.get(f"{server.url}{_paths(seeded)['flight submission']}", headers=headers).status_code == 200
    reads.clear()  # that one may have checked the client, on the transaction path
    for path in (_paths(seeded)["flight submission"], _paths(seeded)["app submission"]):
        for suffix in ("", "/status"):
            assert httpx.get(f"{server.url}{path}{suffix}", headers=headers).status_code == 200
    assert reads == [seeded.flight_submission] * 2 + [seeded.app_submission] * 2


def test_another_tenants_submission_is_not_found(
    server: LiveServer, reference: LiveServer, tenant: Tenant, seeded: Seeded
) -> None:
    stranger = new_tenant(server)
    statuses = _compare(server, reference, _paths(seeded), _bearer(stranger.token))
    assert set(statuses) == {404}


@pytest.mark.parametrize("kind", ["missing", "not bearer", "garbage", "forged", "expired"])
def test_bad_tokens_are_refused_alike(
    server: LiveServer, reference: LiveServer, tenant: Tenant, seeded: Seeded, kind: str
) -> None:
    now = dates.utcnow()
    headers: dict[str, str | None] = {
        "missing": None,
        "not bearer": f"Basic {tenant.token}",
        "garbage": "Bearer not-a-jwt",
        "forged": _bearer(_token("x" * 48, tenant, now, timedelta(minutes=5))),
        "expired": _bearer(_token(server.state.jwt_key, tenant, now - timedelta(hours=2), timedelta(minutes=5))),
    }
    paths = {"flight": _paths(seeded)["flight submission"], "app": _paths(seeded)["app submission"]}
    assert set(_compare(server, reference, paths, headers[kind])) == {401}
    answer = httpx.get(f"{server.url}{paths['app']}", headers={"Authorization": headers[kind] or ""})
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    if kind == "expired":
        assert "expired" in answer.json()["message"]


def _bearer(token: str) -> str:
    return f"Bearer {token}"


def _token(key: str, tenant: Tenant, now: Any, lifetime: timedelta) -> str:
    issued = tokens.issue(
        key, tenant_id=tenant.tenant_id, client_id=tenant.client_id, issuer="tests", now=now, lifetime=lifetime
    )
    return issued.token


@pytest.mark.parametrize("method", ["HEAD", "PATCH", "POST", "OPTIONS"])
def test_wrong_methods_are_refused_alike(
    server: LiveServer, reference: LiveServer, tenant: Tenant, seeded: Seeded, method: str
) -> None:
    for path in (_paths(seeded)["flight submission"], _paths(seeded)["app submission"] + "/status"):
        fast, slow = _both(server, reference, method, path, _bearer(tenant.token))
        assert fast == slow
        assert fast.status == 405 and "GET" in fast.headers["allow"] and "HEAD" not in fast.headers["allow"]


def test_a_revoked_client_is_refused_alike(server: LiveServer, reference: LiveServer, seeded: Seeded) -> None:
    del seeded  # another tenant's data: this one gets its own
    tenant = new_tenant(server)
    mine = _seed(tenant)
    paths = {"flight": _paths(mine)["flight submission"], "app": _paths(mine)["app submission"]}
    assert set(_compare(server, reference, paths, _bearer(tenant.token))) == {200}
    with server.store.transaction(write=True) as tx:
        admin.revoke_client(tx, tenant.client_id, now=dates.utcnow())
    time.sleep(server.state.clients.ttl + 0.2)  # what either server remembers of the client has aged out
    assert set(_compare(server, reference, paths, _bearer(tenant.token))) == {401}


def test_states_and_unsupported_apps_answer_alike(
    server: LiveServer, reference: LiveServer, tenant: Tenant, seeded: Seeded
) -> None:
    details = StatusDetails.model_validate(
        {
            "errors": [{"code": "InvalidParameterValue", "details": "a \u00e9 b"}],
            "warnings": [{"code": "SalesUnsupported", "details": "w"}],
            "certification_reports": [{"date": dates.utcnow(), "report_url": "r1"}],
        }
    )
    force_state(server, tenant, seeded.flight_submission, status=Status.PRE_PROCESSING_FAILED, status_details=details)
    paths = _paths(seeded)
    assert set(_compare(server, reference, {"failed": paths["flight submission"]}, _bearer(tenant.token))) == {200}
    unsupported = tenant.create_app(unsupported=True)
    with server.store.transaction(write=False) as tx:
        baseline = tx.last_published(f"app:{unsupported}")  # the app's first submission, made by create-app
        assert baseline is not None
    moved = {
        "unsupported app": f"/v1.0/my/applications/{unsupported}/submissions/{baseline.id}",
        "another app's submission": f"/v1.0/my/applications/{unsupported}/submissions/{seeded.app_submission}",
    }
    assert set(_compare(server, reference, moved, _bearer(tenant.token))) == {409}
