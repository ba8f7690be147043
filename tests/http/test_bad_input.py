"""Bad input gets a clear Store error body with the right status, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest

from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.lifecycle import Status
from storeflight.services import admin
from tests.support import Tenant, force_state, new_tenant


def _assert_store_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "ms-correlationid" in response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["source"] == "Ingestion Api"
    assert body["data"] == [] and all(isinstance(d, str) for d in body["details"])
    assert body["message"]
    return body


@pytest.fixture
def submission(tenant: Tenant, app_id: str) -> tuple[str, dict[str, Any]]:
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}"
    return base, tenant.http.get(base).json()


BAD_BODIES: list[tuple[str, bytes]] = [
    ("malformed json", b'{"notesForCertification": '),
    ("not an object", b"[1, 2, 3]"),
    ("not utf-8", b'{"notesForCertification": "\xff\xfe"}'),
    ("wrong type for notes", b'{"notesForCertification": 5}'),
    ("packages not an array", b'{"flightPackages": {"fileName": "a"}}'),
    ("package without file name", b'{"flightPackages": [{"fileStatus": "PendingUpload"}]}'),
    ("unknown file status", b'{"flightPackages": [{"fileName": "a.msix", "fileStatus": "Uploading"}]}'),
    (
        "unknown directx",
        b'{"flightPackages": [{"fileName": "a.msix", "fileStatus": "PendingUpload",'
        b' "minimumDirectXVersion": "DirectX12"}]}',
    ),
    ("absolute package path", b'{"flightPackages": [{"fileName": "/etc/passwd", "fileStatus": "PendingUpload"}]}'),
    ("dot-dot package path", b'{"flightPackages": [{"fileName": "../a.msix", "fileStatus": "PendingUpload"}]}'),
    (
        "duplicate package",
        b'{"flightPackages": [{"fileName": "a.msix", "fileStatus": "PendingUpload"},'
        b' {"fileName": "a.msix", "fileStatus": "PendingUpload"}]}',
    ),
    ("unknown publish mode", b'{"targetPublishMode": "Tomorrow"}'),
    ("bad date", b'{"targetPublishMode": "SpecificDate", "targetPublishDate": "next tuesday"}'),
    ("percentage too big", b'{"packageDeliveryOptions": {"packageRollout": {"packageRolloutPercentage": 101}}}'),
    ("percentage negative", b'{"packageDeliveryOptions": {"packageRollout": {"packageRolloutPercentage": -1}}}'),
    ("percentage not numeric", b'{"packageDeliveryOptions": {"packageRollout": {"packageRolloutPercentage": "x"}}}'),
    ("percentage NaN", b'{"packageDeliveryOptions": {"packageRollout": {"packageRolloutPercentage": NaN}}}'),
    ("rollout flag not bool", b'{"packageDeliveryOptions": {"packageRollout": {"isPackageRollout": "maybe"}}}'),
    ("delivery options not object", b'{"packageDeliveryOptions": 3}'),
    ("lone surrogate in notes", b'{"notesForCertification": "\\ud800"}'),
    ("NUL in notes", b'{"notesForCertification": "a\\u0000"}'),
    ("lone surrogate in a file name", b'{"flightPackages": [{"fileName": "a\\udc00.msix", "fileStatus": "None"}]}'),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000),
    ("integer of 4,301 digits", b'{"notesForCertification": ' + b"9" * 4_301 + b"}"),
    (
        "400-digit rollout percentage",
        b'{"packageDeliveryOptions": {"packageRollout": {"packageRolloutPercentage": ' + b"1" * 400 + b"}}}",
    ),
    (
        "date before year 1 in UTC",
        b'{"targetPublishMode": "SpecificDate", "targetPublishDate": "0001-01-01T00:00:00+01:00"}',
    ),
    (
        "date after 9999 in UTC",
        b'{"targetPublishMode": "SpecificDate", "targetPublishDate": "9999-12-31T23:00:00-05:00"}',
    ),
    (
        "mandatory date after 9999 in UTC",
        b'{"packageDeliveryOptions": {"mandatoryUpdateEffectiveDate": "9999-12-31T23:30:00-01:00"}}',
    ),
]


@pytest.mark.parametrize(("name", "payload"), BAD_BODIES, ids=[n for n, _ in BAD_BODIES])
def test_bad_put_bodies_are_400_and_change_nothing(
    tenant: Tenant, submission: tuple[str, dict[str, Any]], name: str, payload: bytes
) -> None:
    base, before = submission
    response = tenant.http.put(base, content=payload, headers={"Content-Type": "application/json"})
    _assert_store_error(response, 400, "InvalidParameterValue")
    assert tenant.http.get(base).json() == before


def test_oversized_body_is_413_with_a_store_error(tenant: Tenant, submission: tuple[str, dict[str, Any]]) -> None:
    base, before = submission
    limit = tenant.server.settings.max_body_bytes
    payload = b'{"notesForCertification": "' + b"a" * limit + b'"}'
    _assert_store_error(tenant.http.put(base, content=payload), 413, "InvalidParameterValue")
    assert tenant.http.get(base).json() == before


def test_bad_paging_parameters_are_400(tenant: Tenant, app_id: str) -> None:
    for query in ("top=0", "top=abc", "skip=-1", "top=1000000", "skip=99999999999999999999999"):
        _assert_store_error(tenant.http.get(f"applications?{query}"), 400, "InvalidParameterValue")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer PROXY"},
    ],
    ids=["none", "empty bearer", "basic", "garbage", "proxy without opt-in"],
)
def test_missing_or_invalid_tokens_are_401(tenant: Tenant, app_id: str, headers: dict[str, str]) -> None:
    response = httpx.get(f"{tenant.server.url}/v1.0/my/applications/{app_id}", headers=headers)
    body = _assert_store_error(response, 401, "Unauthorized")
    assert body["statusCode"] == 401
    assert "negotiate" not in response.headers.get("www-authenticate", "").lower()
    assert "ntlm" not in response.headers.get("www-authenticate", "").lower()


def test_a_forged_token_is_401(tenant: Tenant, app_id: str) -> None:
    claims = jwt.decode(tenant.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "an-attacker-key-of-a-proper-length-0123456789", algorithm="HS256")
    response = httpx.get(
        f"{tenant.server.url}/v1.0/my/applications/{app_id}", headers={"Authorization": f"Bearer {forged}"}
    )
    _assert_store_error(response, 401, "Unauthorized")


def test_another_tenants_resources_are_404_and_untouched(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    sid = flight["pendingFlightSubmission"]["id"]
    base = f"applications/{app_id}/flights/{flight['flightId']}"
    intruder = new_tenant(tenant.server)
    calls = [
        intruder.http.get(f"applications/{app_id}"),
        intruder.http.get(f"applications/{app_id}/listflights"),
        intruder.http.get(base),
        intruder.http.get(f"{base}/submissions/{sid}"),
        intruder.http.put(f"{base}/submissions/{sid}", json={"notesForCertification": "pwned"}),
        intruder.http.post(f"{base}/submissions/{sid}/commit"),
        intruder.http.delete(f"{base}/submissions/{sid}"),
        intruder.http.delete(base),
        intruder.http.post(f"{base}/submissions"),
        intruder.http.post(f"applications/{app_id}/flights", json={"friendlyName": "x", "groupIds": ["1"]}),
    ]
    for response in calls:
        _assert_store_error(response, 404, "ResourceNotFound")
    assert intruder.http.get("applications").status_code == 404
    sub = tenant.http.get(f"{base}/submissions/{sid}").json()
    assert (sub["status"], sub["notesForCertification"]) == ("PendingCommit", "")


def test_unsupported_feature_apps_answer_409_everywhere(tenant: Tenant) -> None:
    app_id = tenant.create_app(unsupported=True)
    for response in (
        tenant.http.get(f"applications/{app_id}"),
        tenant.http.get(f"applications/{app_id}/listflights"),
        tenant.http.post(f"applications/{app_id}/submissions"),
    ):
        body = _assert_store_error(response, 409, "InvalidState")
        assert body["target"] == "application"


def test_unknown_paths_get_store_errors_and_unknown_methods_405_with_allow(tenant: Tenant, app_id: str) -> None:
    _assert_store_error(tenant.http.get("nothing/here"), 404, "ResourceNotFound")
    response = tenant.http.patch("applications")
    _assert_store_error(response, 405, "InvalidOperation")
    assert response.headers["allow"] == "GET"
    flight = tenant.create_flight(app_id)
    sub = f"applications/{app_id}/flights/{flight['flightId']}/submissions/{flight['pendingFlightSubmission']['id']}"
    for path, allowed in (
        (f"applications/{app_id}/flights/{flight['flightId']}", "DELETE, GET, PUT"),
        (sub, "DELETE, GET, PUT"),
    ):
        response = tenant.http.request("PATCH", path)
        _assert_store_error(response, 405, "InvalidOperation")
        assert response.headers["allow"] == allowed
    assert tenant.http.request("TRACE", f"applications/{app_id}/delivery").headers["allow"] == "GET, HEAD"


def test_nul_characters_anywhere_are_400_not_a_database_error(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}"
    group = tenant.create_group()
    calls = [
        tenant.http.post(f"applications/{app_id}/flights", json={"friendlyName": "a\x00", "groupIds": [group]}),
        tenant.http.put(base, json={"friendlyName": "b\x00"}),
        tenant.http.get(f"{base}%00"),
        tenant.http.get(f"applications/{app_id}/delivery?customerId=a%00b"),
    ]
    for response in calls:
        _assert_store_error(response, 400, "InvalidParameterValue")
    token = httpx.post(
        f"{tenant.server.url}/{tenant.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "x\x00",
            "client_secret": "y",
            "resource": "https://manage.devcenter.microsoft.com",
        },
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_request"
    assert tenant.http.get(base).json()["friendlyName"] == "beta"


def test_bad_text_is_refused_by_every_resource_naming_the_field(tenant: Tenant, app_id: str) -> None:
    group = tenant.create_group()
    flight = tenant.create_flight(app_id, groups=[group])
    flights, groups = f"applications/{app_id}/flights", "flightgroups"
    calls = [
        (flights, {"friendlyName": "a\\ud800", "groupIds": [group]}, "friendlyName"),
        (flights, {"friendlyName": "ok", "groupIds": ["\\udfff"]}, "groupIds[0]"),
        (flights, {"friendlyName": "ok", "groupIds": [group], "rankHigherThan": "\\u0000"}, "rankHigherThan"),
        (groups, {"name": "g\\udc00"}, "name"),
        (groups, {"name": "g", "members": ["a@example.com", "b\\ud800@example.com"]}, "members[1]"),
        (f"{groups}/{group}/members", {"add": ["\\ud800"]}, "add[0]"),
        (f"{groups}/{group}/members", {"remove": ["x\\u0000"]}, "remove[0]"),
    ]
    for path, payload, target in calls:
        raw = json.dumps(payload).replace("\\\\", "\\").encode()
        response = tenant.http.post(path, content=raw, headers={"Content-Type": "application/json"})
        assert _assert_store_error(response, 400, "InvalidParameterValue")["target"] == target, raw
    for path, raw in (
        (f"{flights}/{flight['flightId']}", b'{"friendlyName": "\\ud800"}'),
        (f"{groups}/{group}", b'{"name": "\\ud800"}'),
    ):
        response = tenant.http.put(path, content=raw, headers={"Content-Type": "application/json"})
        assert _assert_store_error(response, 400, "InvalidParameterValue")["target"] in ("friendlyName", "name")
    assert tenant.http.get(f"{flights}/{flight['flightId']}").json()["friendlyName"] == "beta"
    assert tenant.http.get(f"{groups}/{group}").json()["name"] == "testers"


def test_a_400_digit_percentage_in_the_query_is_400(tenant: Tenant, submission: tuple[str, dict[str, Any]]) -> None:
    base, _ = submission
    response = tenant.http.post(f"{base}/updatepackagerolloutpercentage?percentage={'1' * 400}")
    assert _assert_store_error(response, 400, "InvalidParameterValue")["target"] == "percentage"


def test_bad_text_already_stored_is_readable_as_replacement_characters(tenant: Tenant, app_id: str) -> None:
    flight = tenant.create_flight(app_id)
    base = f"applications/{app_id}/flights/{flight['flightId']}/submissions"
    sid = flight["pendingFlightSubmission"]["id"]
    force_state(tenant.server, tenant, sid, notes_for_certification="before\ud800after")  # as older versions stored
    got = tenant.http.get(f"{base}/{sid}")
    assert got.status_code == 200, got.text
    assert got.json()["notesForCertification"] == "before\ufffdafter"
    force_state(tenant.server, tenant, sid, status=Status.PUBLISHED)
    clone = tenant.http.post(base)
    assert clone.status_code == 201, clone.text
    assert clone.json()["notesForCertification"] == "before\ufffdafter"
    assert tenant.http.get(f"{base}/{sid}").json()["notesForCertification"] == "before\ufffdafter"
    fixed = tenant.http.put(f"{base}/{clone.json()['id']}", json={"notesForCertification": "clean"})
    assert fixed.status_code == 200 and fixed.json()["notesForCertification"] == "clean"


def test_admin_created_names_with_bad_text_are_refused(tenant: Tenant) -> None:
    """The admin commands take names from the command line, where undecodable bytes become lone surrogates."""
    with tenant.server.store.transaction(write=True) as tx, pytest.raises(InvalidParameterValue) as caught:
        admin.create_group(tx, tenant_id=tenant.tenant_id, name="bad\udcff", members=[], now=dates.utcnow())
    assert caught.value.target == "name"
    with tenant.server.store.transaction(write=True) as tx, pytest.raises(InvalidParameterValue) as caught:
        admin.create_app(
            tx, tenant_id=tenant.tenant_id, name="App", identity_name="Contoso.\udcffApp", publisher="CN=C",
            now=dates.utcnow(),
        )  # fmt: skip
    assert caught.value.target == "identityName"
